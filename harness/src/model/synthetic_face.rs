//! Synthetic face media: the text a synthetic benchmark stores inline (`inline:` in the
//! samples table) in place of a photograph.
//!
//! ```text
//! face/v1 identity=9f2c4a1b0e3d5f67 appearance=F×black capture=0123456789abcdef
//! ```
//!
//! - `identity`: a random seed drawn per subject by the generator. It is *not* derived
//!   from the subject id text, so a vendor learns nothing about who the subject is beyond
//!   what a photo of the same person would show (that two captures are of one face).
//! - `appearance`: the demographic cell the face shows (the subject's attribute values
//!   joined with `×`, in the benchmark's attribute order), the way a photo shows
//!   apparent sex or ethnicity. Simulated vendors use it to plant per-group behaviour.
//! - `capture`: a random seed drawn per sample: pose, light, camera and expression.
//! - `size` (optional): the face's size in the image, as the inter-eye distance in
//!   pixels, which a photo shows too; the benchmark's samples table then carries it as the
//!   capture column `face_size`. Faces without it are written exactly as before.
//! - `light` (optional): the face's mean luma, 1 to 255, which a photo shows too (darker
//!   or brighter lighting); the samples table carries it as the capture column
//!   `brightness`. Faces without it are written exactly as before.
//!
//! Why this shape: a synthetic face shows its appearance as a photo does; it never
//! carries the subject id or where its labels came from (self-declared, annotated,
//! estimated). Blinding (docs/design.md, "Vendors") therefore holds for synthetic benchmarks
//! exactly as for photographs.

use std::fmt;
use std::str::FromStr;

/// The format tag that opens every synthetic face.
pub const FORMAT: &str = "face/v1";

/// Separator between attribute values in an appearance cell (as in group labels).
pub const APPEARANCE_SEPARATOR: char = '×';

/// One synthetic face capture.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SyntheticFace {
    /// Per-subject identity seed.
    pub identity: u64,
    /// Demographic cell the face shows, e.g. `F×black`.
    pub appearance: String,
    /// Per-sample capture seed.
    pub capture: u64,
    /// Inter-eye distance in pixels, where the generator draws one.
    pub size: Option<u32>,
    /// Mean luma of the face, 1 to 255, where the generator draws one.
    pub light: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntheticFaceError {
    #[error("media is not UTF-8 text, so it is not a synthetic face")]
    NotText,
    #[error("media does not start with `{FORMAT}` (it starts with `{start}`), so it is not a synthetic face")]
    WrongFormat { start: String },
    #[error("synthetic face has no `{field}=` field")]
    MissingField { field: &'static str },
    #[error("synthetic face has an unknown or repeated field `{field}`")]
    UnexpectedField { field: String },
    #[error("synthetic face field `{field}` must be 16 hexadecimal digits, found `{value}`")]
    BadSeed { field: &'static str, value: String },
    #[error("synthetic face field `size` must be a whole number of pixels from 1 to 100000, found `{value}`")]
    BadSize { value: String },
    #[error("synthetic face field `light` must be a whole number from 1 to 255, found `{value}`")]
    BadLight { value: String },
    #[error(
        "appearance `{value}` is not valid: it must be non-empty values separated by `×`, with no whitespace, `=` or empty value"
    )]
    BadAppearance { value: String },
}

/// Check that an attribute value can be part of an appearance cell.
pub fn valid_appearance_value(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c == '=' || c == APPEARANCE_SEPARATOR)
}

/// The appearance cell of attribute values, in attribute order.
pub fn appearance_cell<S: AsRef<str>>(values: &[S]) -> Result<String, SyntheticFaceError> {
    let cell = values.iter().map(|v| v.as_ref()).collect::<Vec<_>>().join(&APPEARANCE_SEPARATOR.to_string());
    if values.is_empty() || !values.iter().all(|v| valid_appearance_value(v.as_ref())) {
        return Err(SyntheticFaceError::BadAppearance { value: cell });
    }
    Ok(cell)
}

impl SyntheticFace {
    /// A face, checking the appearance cell can be written and read back.
    pub fn new(identity: u64, appearance: impl Into<String>, capture: u64) -> Result<Self, SyntheticFaceError> {
        let appearance = appearance.into();
        if appearance.is_empty() || !appearance.split(APPEARANCE_SEPARATOR).all(valid_appearance_value) {
            return Err(SyntheticFaceError::BadAppearance { value: appearance });
        }
        Ok(SyntheticFace { identity, appearance, capture, size: None, light: None })
    }

    /// The attribute values of the appearance cell.
    pub fn appearance_values(&self) -> impl Iterator<Item = &str> {
        self.appearance.split(APPEARANCE_SEPARATOR)
    }

    /// The media text.
    pub fn encode(&self) -> String {
        self.to_string()
    }

    /// The media bytes a vendor receives.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().into_bytes()
    }

    /// Read a synthetic face from media bytes. Leading/trailing whitespace is ignored.
    pub fn decode(media: &[u8]) -> Result<Self, SyntheticFaceError> {
        std::str::from_utf8(media).map_err(|_| SyntheticFaceError::NotText)?.parse()
    }
}

impl fmt::Display for SyntheticFace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{FORMAT} identity={:016x} appearance={} capture={:016x}",
            self.identity, self.appearance, self.capture
        )?;
        if let Some(size) = self.size {
            write!(f, " size={size}")?;
        }
        match self.light {
            Some(light) => write!(f, " light={light}"),
            None => Ok(()),
        }
    }
}

fn parse_seed(field: &'static str, value: &str) -> Result<u64, SyntheticFaceError> {
    let bad = || SyntheticFaceError::BadSeed { field, value: value.chars().take(40).collect() };
    if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    u64::from_str_radix(value, 16).map_err(|_| bad())
}

/// A whole number from 1 to `max` written plainly (no sign, no leading zero).
fn whole(value: &str, max: u32) -> Option<u32> {
    let n: u32 = value.parse().ok()?;
    ((1..=max).contains(&n) && !value.starts_with('+') && !value.starts_with('0')).then_some(n)
}

impl FromStr for SyntheticFace {
    type Err = SyntheticFaceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut tokens = text.split_whitespace();
        let tag = tokens.next().unwrap_or("");
        if tag != FORMAT {
            return Err(SyntheticFaceError::WrongFormat { start: text.chars().take(16).collect() });
        }
        let (mut identity, mut appearance, mut capture, mut size, mut light) = (None, None, None, None, None);
        for token in tokens {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            let slot_taken = match key {
                "identity" => identity.replace(parse_seed("identity", value)?).is_some(),
                "capture" => capture.replace(parse_seed("capture", value)?).is_some(),
                "appearance" => appearance.replace(value.to_string()).is_some(),
                "size" => {
                    let bad = || SyntheticFaceError::BadSize { value: value.chars().take(40).collect() };
                    size.replace(whole(value, 100_000).ok_or_else(bad)?).is_some()
                }
                "light" => {
                    let bad = || SyntheticFaceError::BadLight { value: value.chars().take(40).collect() };
                    light.replace(whole(value, 255).ok_or_else(bad)?).is_some()
                }
                _ => true,
            };
            if slot_taken {
                return Err(SyntheticFaceError::UnexpectedField { field: key.chars().take(40).collect() });
            }
        }
        let identity = identity.ok_or(SyntheticFaceError::MissingField { field: "identity" })?;
        let appearance = appearance.ok_or(SyntheticFaceError::MissingField { field: "appearance" })?;
        let capture = capture.ok_or(SyntheticFaceError::MissingField { field: "capture" })?;
        Ok(SyntheticFace { size, light, ..SyntheticFace::new(identity, appearance, capture)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let face = SyntheticFace::new(0x9f2c_4a1b_0e3d_5f67, "F×black", 42).unwrap();
        let text = face.encode();
        assert_eq!(text, "face/v1 identity=9f2c4a1b0e3d5f67 appearance=F×black capture=000000000000002a");
        assert_eq!(SyntheticFace::decode(text.as_bytes()).unwrap(), face);
        assert_eq!(face.appearance_values().collect::<Vec<_>>(), vec!["F", "black"]);
        let sized = SyntheticFace { size: Some(44), ..face.clone() };
        assert_eq!(sized.encode(), format!("{text} size=44"));
        assert_eq!(SyntheticFace::decode(sized.encode().as_bytes()).unwrap(), sized);
        for bad in ["0", "007", "+4", "x", "100001", ""] {
            let media = format!("{text} size={bad}");
            assert!(
                matches!(SyntheticFace::decode(media.as_bytes()), Err(SyntheticFaceError::BadSize { .. })),
                "{bad}"
            );
        }
        let lit = SyntheticFace { light: Some(96), ..sized.clone() };
        assert_eq!(lit.encode(), format!("{text} size=44 light=96"));
        assert_eq!(SyntheticFace::decode(lit.encode().as_bytes()).unwrap(), lit);
        for bad in ["0", "256", "09", "+9", "dark"] {
            let media = format!("{text} light={bad}");
            assert!(
                matches!(SyntheticFace::decode(media.as_bytes()), Err(SyntheticFaceError::BadLight { .. })),
                "{bad}"
            );
        }
        let twice = format!("{text} size=4 size=5");
        assert!(matches!(SyntheticFace::decode(twice.as_bytes()), Err(SyntheticFaceError::UnexpectedField { .. })));
    }

    #[test]
    fn malformed_media_is_named() {
        let err = |s: &[u8]| SyntheticFace::decode(s).unwrap_err();
        assert_eq!(err(&[0xff, 0xd8, 0xff]), SyntheticFaceError::NotText);
        assert!(matches!(err(b"GIF89a"), SyntheticFaceError::WrongFormat { .. }));
        assert_eq!(
            err(b"face/v1 identity=0000000000000001 capture=0000000000000002"),
            SyntheticFaceError::MissingField { field: "appearance" }
        );
        assert!(matches!(
            err(b"face/v1 identity=12 appearance=F capture=0000000000000002"),
            SyntheticFaceError::BadSeed { field: "identity", .. }
        ));
        assert!(matches!(
            err(b"face/v1 identity=0000000000000001 appearance=F capture=0000000000000002 subject=7"),
            SyntheticFaceError::UnexpectedField { .. }
        ));
        assert!(matches!(
            err("face/v1 identity=0000000000000001 appearance=F×× capture=0000000000000002".as_bytes()),
            SyntheticFaceError::BadAppearance { .. }
        ));
    }

    #[test]
    fn appearance_cell_checks_values() {
        assert_eq!(appearance_cell(&["M", "white"]).unwrap(), "M×white");
        assert!(appearance_cell(&["M", "south asian"]).is_err());
        assert!(appearance_cell::<&str>(&[]).is_err());
    }
}
