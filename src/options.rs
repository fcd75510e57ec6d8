//! Value parsers of the command line's numeric options. Each accepts what a user might
//! type (a negative number included, so that `--faces -5` reaches it rather than being
//! taken for an unknown flag) and refuses what the option cannot take with a message
//! naming the value and the range allowed; clap adds the option's name and exits with 2.

use std::fmt::Display;

/// A whole number from `min` to `max` (both included).
pub fn whole<T>(min: u64, max: u64) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: TryFrom<u64> + Send + Sync + 'static,
{
    move |text: &str| {
        let range = || {
            if max == u64::MAX {
                format!("a whole number, {} or more", grouped(min))
            } else {
                format!("a whole number from {} to {}", grouped(min), grouped(max))
            }
        };
        let value: u64 = match text.trim().parse::<u64>() {
            Ok(v) => v,
            Err(_) => return Err(format!("not {}", range())),
        };
        if value < min || value > max {
            return Err(format!("out of range: must be {}", range()));
        }
        T::try_from(value).map_err(|_| format!("too large for this machine: must be {}", range()))
    }
}

/// Any finite number (a threshold may be negative where a vendor's scores are).
pub fn number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err("not a finite number".into()),
    }
}

/// A number with thousands separators, for ranges in messages.
fn grouped(n: impl Display) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Largest number of subject-bootstrap replicates accepted.
pub const MAX_REPLICATES: u64 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_name_their_range() {
        let replicates = whole::<usize>(0, MAX_REPLICATES);
        assert_eq!(replicates("1000"), Ok(1000));
        assert_eq!(replicates("-5"), Err("not a whole number from 0 to 1,000,000".into()));
        assert_eq!(replicates("2000000"), Err("out of range: must be a whole number from 0 to 1,000,000".into()));
        let faces = whole::<u64>(1, u64::MAX);
        assert_eq!(faces("0"), Err("out of range: must be a whole number, 1 or more".into()));
        assert_eq!(faces("1e3"), Err("not a whole number, 1 or more".into()));
        assert_eq!(whole::<u8>(0, 1000)("300"), Err("too large for this machine: must be a whole number from 0 to 1,000".into()));
    }

    #[test]
    fn numbers_are_finite() {
        assert_eq!(number("-0.5"), Ok(-0.5));
        assert!(number("nan").is_err() && number("inf").is_err() && number("x").is_err());
    }
}
