//! Refuse NaN and infinities before anything is written.
//!
//! JSON cannot represent them and `serde_json` silently writes `null` for them, which
//! would be read as "undefined". The engine's types are plain `f64`, so nothing stops a
//! kernel from producing one (a mean over zero templates, a vendor declaring
//! `score_min = -inf`). [`check`] walks any `Serialize` value with a serializer that
//! does nothing but look at every float, and names the first non-finite one by its path
//! (`vendors[0].timing.template_bytes_mean`).

use serde::ser::{self, Serialize};
use std::fmt;

/// The first non-finite float found, with its path in the value.
#[derive(Debug, Clone, PartialEq)]
pub struct NonFinite {
    pub field: String,
    pub value: f64,
}

/// Check every `f32`/`f64` in `value` is finite.
pub fn check<T: Serialize + ?Sized>(value: &T) -> Result<(), NonFinite> {
    let mut walker = Walker { path: Vec::new(), capture_key: false, key: None };
    match value.serialize(&mut walker) {
        Ok(()) => Ok(()),
        Err(WalkError::NonFinite(e)) => Err(e),
        // The engine's types serialize without custom errors; treat any as a bug upstream.
        Err(WalkError::Custom(message)) => {
            Err(NonFinite { field: format!("(serialization failed: {message})"), value: f64::NAN })
        }
    }
}

/// Check one float, naming it for the error.
pub fn finite(field: impl Into<String>, value: f64) -> Result<f64, NonFinite> {
    if value.is_finite() { Ok(value) } else { Err(NonFinite { field: field.into(), value }) }
}

#[derive(Debug)]
enum WalkError {
    NonFinite(NonFinite),
    Custom(String),
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::NonFinite(e) => write!(f, "{} is {}", e.field, e.value),
            WalkError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for WalkError {}

impl ser::Error for WalkError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WalkError::Custom(msg.to_string())
    }
}

struct Walker {
    path: Vec<String>,
    /// Set while a map key is being serialized, so its text can name the value's path.
    capture_key: bool,
    key: Option<String>,
}

impl Walker {
    fn float(&mut self, v: f64) -> Result<(), WalkError> {
        if self.capture_key {
            self.key = Some(v.to_string());
        }
        if v.is_finite() {
            Ok(())
        } else {
            Err(WalkError::NonFinite(NonFinite { field: self.path_string(), value: v }))
        }
    }
    fn scalar(&mut self, text: impl fmt::Display) -> Result<(), WalkError> {
        if self.capture_key {
            self.key = Some(text.to_string());
        }
        Ok(())
    }
    fn path_string(&self) -> String {
        let mut s = String::new();
        for part in &self.path {
            if !part.starts_with('[') && !s.is_empty() {
                s.push('.');
            }
            s.push_str(part);
        }
        if s.is_empty() { "(root)".to_string() } else { s }
    }
    fn within<T: Serialize + ?Sized>(&mut self, part: String, value: &T) -> Result<(), WalkError> {
        self.path.push(part);
        let r = value.serialize(&mut *self);
        self.path.pop();
        r
    }
}

/// A compound value being walked: counts elements to name them.
struct Compound<'a> {
    walker: &'a mut Walker,
    index: usize,
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = WalkError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), WalkError> {
        self.float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<(), WalkError> {
        self.float(v)
    }
    fn serialize_char(self, v: char) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_str(self, v: &str) -> Result<(), WalkError> {
        self.scalar(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), WalkError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), WalkError> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), WalkError> {
        self.scalar(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), WalkError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), WalkError> {
        self.within(variant.to_string(), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WalkError> {
        Ok(Compound { walker: self, index: 0 })
    }
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
        let part = format!("[{}]", self.index);
        self.index += 1;
        self.walker.within(part, value)
    }
}

macro_rules! sequence_like {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = WalkError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
                self.element(value)
            }
            fn end(self) -> Result<(), WalkError> {
                Ok(())
            }
        }
    };
}

sequence_like!(SerializeSeq, serialize_element);
sequence_like!(SerializeTuple, serialize_element);
sequence_like!(SerializeTupleStruct, serialize_field);
sequence_like!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = WalkError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), WalkError> {
        self.walker.capture_key = true;
        self.walker.key = None;
        let r = self.walker.within("[key]".to_string(), key);
        self.walker.capture_key = false;
        r
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WalkError> {
        let part = match self.walker.key.take() {
            Some(k) => format!("[{k:?}]"),
            None => format!("[{}]", self.index),
        };
        self.index += 1;
        self.walker.within(part, value)
    }
    fn end(self) -> Result<(), WalkError> {
        Ok(())
    }
}

macro_rules! struct_like {
    ($trait:ident) => {
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = WalkError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), WalkError> {
                self.walker.within(key.to_string(), value)
            }
            fn end(self) -> Result<(), WalkError> {
                Ok(())
            }
        }
    };
}

struct_like!(SerializeStruct);
struct_like!(SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        values: Vec<Option<f64>>,
    }

    #[derive(Serialize)]
    struct Outer {
        name: String,
        by_key: BTreeMap<String, Inner>,
    }

    #[test]
    fn finds_the_path_of_a_nan() {
        let mut by_key = BTreeMap::new();
        by_key.insert("a".to_string(), Inner { values: vec![Some(1.0), None] });
        by_key.insert("b".to_string(), Inner { values: vec![Some(0.5), Some(f64::NAN)] });
        let err = check(&Outer { name: "x".into(), by_key }).unwrap_err();
        assert_eq!(err.field, "by_key[\"b\"].values[1]");
        assert!(err.value.is_nan());
    }

    #[test]
    fn infinities_are_refused_and_finite_values_pass() {
        assert!(check(&vec![f64::NEG_INFINITY]).is_err());
        assert!(check(&(1.0f32, f32::INFINITY)).is_err());
        assert_eq!(check(&vec![0.0, -1.5, f64::MAX, f64::MIN_POSITIVE]), Ok(()));
    }
}
