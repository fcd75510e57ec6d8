//! Pair lines in the LFW shape, shared by LFW and RFW: a matched pair is
//! `name n1 n2`, a mismatched pair `name1 n1 name2 n2` (tabs or spaces), where `n` is
//! the 1-based image number of that person (`name/name_0001.jpg`).

/// One image of a pair line: the person's name and image number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PairImage {
    pub name: String,
    pub number: u32,
}

impl PairImage {
    /// `name/name_0001.jpg`, the LFW and RFW file naming.
    pub(super) fn path(&self) -> String {
        format!("{}/{}_{:04}.jpg", self.name, self.name, self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PairLine {
    pub first: PairImage,
    pub second: PairImage,
    /// Written as a matched (same-person) pair.
    pub matched: bool,
}

/// Why a pair line was refused: the field it concerns (none for the line's shape) and
/// the message.
pub(super) type LineError = (Option<&'static str>, String);

fn number(token: &str, which: &'static str) -> Result<u32, LineError> {
    match token.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err((Some(which), format!("image number is not a whole number >= 1: `{token}`"))),
    }
}

/// Parse the tokens of one pair line. An error names the field (`n1`, `n2`) where it can.
pub(super) fn parse(tokens: &[&str]) -> Result<PairLine, LineError> {
    match tokens {
        [name, n1, n2] => Ok(PairLine {
            first: PairImage { name: name.to_string(), number: number(n1, "n1")? },
            second: PairImage { name: name.to_string(), number: number(n2, "n2")? },
            matched: true,
        }),
        [name1, n1, name2, n2] => Ok(PairLine {
            first: PairImage { name: name1.to_string(), number: number(n1, "n1")? },
            second: PairImage { name: name2.to_string(), number: number(n2, "n2")? },
            matched: false,
        }),
        _ => Err((
            None,
            format!(
                "expected a matched pair `name n1 n2` or a mismatched pair `name1 n1 name2 n2`, found {} fields",
                tokens.len()
            ),
        )),
    }
}

/// The `folds pairs` header of an LFW `pairs.txt` (e.g. `10 300`), if the tokens are one.
pub(super) fn header(tokens: &[&str]) -> Option<(usize, usize)> {
    match tokens {
        [folds, per_class] => Some((folds.parse().ok()?, per_class.parse().ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_and_mismatched_lines() {
        let m = parse(&["Abel_Pacheco", "1", "4"]).unwrap();
        assert!(m.matched);
        assert_eq!(m.second.path(), "Abel_Pacheco/Abel_Pacheco_0004.jpg");
        let n = parse(&["A", "2", "B", "12"]).unwrap();
        assert!(!n.matched);
        assert_eq!((n.first.path(), n.second.path()), ("A/A_0002.jpg".into(), "B/B_0012.jpg".into()));
        assert_eq!(parse(&["A", "0", "1"]).unwrap_err().0, Some("n1"));
        assert_eq!(parse(&["A", "1", "B", "x"]).unwrap_err().0, Some("n2"));
        assert!(parse(&["A", "1"]).unwrap_err().1.contains("found 2 fields"));
        assert_eq!(header(&["10", "300"]), Some((10, 300)));
        assert_eq!(header(&["A", "1"]), None);
    }
}
