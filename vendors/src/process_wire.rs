//! The wire format of the `process` adapter (docs/process-protocol.md): JSON request
//! lines, reply parsing, FRTE-style status codes and base64. No processes here.

use harness::vendor::{DeclaredThreshold, FailureCode, TemplateFormat};
use serde::Deserialize;
use serde_json::{Value, json};

/// A reply that broke the protocol: the stream may be out of step, so the process is
/// restarted.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed(pub String);

/// The `describe` reply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DescribeReply {
    pub name: String,
    pub version: String,
    pub score_min: f64,
    pub score_max: f64,
    #[serde(default)]
    pub score_meaning: String,
    #[serde(default)]
    pub thresholds: Vec<DeclaredThreshold>,
    pub template: TemplateFormat,
}

pub fn describe_request() -> String {
    json!({ "op": "describe" }).to_string()
}

pub fn create_template_request(role: &str, media: &[u8]) -> String {
    json!({ "op": "create_template", "role": role, "media_b64": encode_base64(media) }).to_string()
}

pub fn compare_request(probe: &[u8], reference: &[u8]) -> String {
    json!({ "op": "compare", "probe_b64": encode_base64(probe), "reference_b64": encode_base64(reference) }).to_string()
}

/// What a reply line said: `Ok(Ok(object))` for status `ok`, `Ok(Err((code, message)))`
/// for a declared failure, `Err` when the line breaks the protocol.
pub type Reply = Result<Result<serde_json::Map<String, Value>, (FailureCode, String)>, Malformed>;

/// Parse one reply line and its `status`.
pub fn parse_reply(line: &str) -> Reply {
    let value: Value = serde_json::from_str(line.trim_end()).map_err(|e| {
        Malformed(format!("reply is not JSON ({e}): `{}`", line.trim_end().chars().take(80).collect::<String>()))
    })?;
    let Value::Object(object) = value else {
        return Err(Malformed("reply is not a JSON object".into()));
    };
    let status = match object.get("status") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(Malformed("reply field `status` is not a string".into())),
        None => return Err(Malformed("reply has no `status`".into())),
    };
    if status == "ok" {
        return Ok(Ok(object));
    }
    let message = object.get("message").and_then(Value::as_str).unwrap_or("").to_string();
    let (code, known) = failure_code(&status);
    let message = match (known, message.is_empty()) {
        (true, true) => format!("vendor returned {status}"),
        (true, false) => format!("vendor returned {status}: {message}"),
        (false, _) => format!("vendor returned unknown status `{status}` {message}").trim_end().to_string(),
    };
    Ok(Err((code, message)))
}

/// The failure code of a status (docs/process-protocol.md, "Status codes"), and
/// whether the status is one the protocol names.
pub fn failure_code(status: &str) -> (FailureCode, bool) {
    match status {
        "face-detection-error" => (FailureCode::FaceDetectionError, true),
        "feature-extraction-error" | "extract-error" | "template-creation-error" | "quality-assessment-error" => {
            (FailureCode::FeatureExtractionError, true)
        }
        "parse-error" | "refuse-input" => (FailureCode::ParseError, true),
        "template-format-error" | "verif-template-error" => (FailureCode::TemplateFormatError, true),
        "vendor-error" | "match-error" | "memory-error" | "not-implemented" | "config-error" => {
            (FailureCode::VendorError, true)
        }
        _ => (FailureCode::VendorError, false),
    }
}

/// Whether a failure is the vendor software misbehaving (a fault) rather than a
/// measured failure to acquire or extract.
pub fn is_fault(code: FailureCode) -> bool {
    matches!(code, FailureCode::VendorError | FailureCode::TemplateFormatError)
}

/// The string field `key` of a reply.
pub fn string_field<'a>(object: &'a serde_json::Map<String, Value>, key: &str) -> Result<&'a str, Malformed> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Malformed(format!("reply field `{key}` is not a string"))),
        None => Err(Malformed(format!("reply has no `{key}`"))),
    }
}

/// The `describe` reply, checked.
pub fn parse_describe(object: serde_json::Map<String, Value>) -> Result<DescribeReply, Malformed> {
    let d: DescribeReply =
        serde_json::from_value(Value::Object(object)).map_err(|e| Malformed(format!("describe reply: {e}")))?;
    if !(d.score_min.is_finite() && d.score_max.is_finite() && d.score_min < d.score_max) {
        return Err(Malformed(format!("describe reply: score range {}..{} is not a range", d.score_min, d.score_max)));
    }
    if let Some(t) = d.thresholds.iter().find(|t| !(t.value >= d.score_min && t.value <= d.score_max)) {
        return Err(Malformed(format!(
            "describe reply: threshold `{}` = {} is outside the score range {}..={}",
            t.label, t.value, d.score_min, d.score_max
        )));
    }
    if d.template == (TemplateFormat::Embedding { dim: 0 }) {
        return Err(Malformed("describe reply: embedding dim must be at least 1".into()));
    }
    Ok(d)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 section 4).
pub fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decode standard base64 with padding; `None` when the text is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks = text.len() / 4;
    for (i, chunk) in text.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_rfc4648() {
        for (plain, encoded) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(encode_base64(plain.as_bytes()), encoded);
            assert_eq!(decode_base64(encoded).unwrap(), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_base64(&encode_base64(&all)).unwrap(), all);
        assert_eq!(decode_base64("Zg="), None);
        assert_eq!(decode_base64("Z!=="), None);
        assert_eq!(decode_base64("Zg==Zg=="), None);
    }

    #[test]
    fn replies_and_status_codes() {
        assert!(parse_reply("{\"status\":\"ok\",\"score\":0.5}").unwrap().is_ok());
        let (code, message) =
            parse_reply("{\"status\":\"face-detection-error\",\"message\":\"no face\"}\n").unwrap().unwrap_err();
        assert_eq!(code, FailureCode::FaceDetectionError);
        assert!(message.contains("no face"), "{message}");
        assert!(!is_fault(code));
        let (code, message) = parse_reply("{\"status\":\"weird\"}").unwrap().unwrap_err();
        assert_eq!(code, FailureCode::VendorError);
        assert!(message.contains("unknown status `weird`"), "{message}");
        assert!(is_fault(code));
        assert!(parse_reply("not json").unwrap_err().0.contains("not JSON"));
        assert!(parse_reply("{\"score\":1}").unwrap_err().0.contains("no `status`"));
        assert!(parse_reply("[1]").is_err());
    }

    #[test]
    fn describe_is_checked() {
        let ok = |text: &str| parse_describe(parse_reply(text).unwrap().unwrap());
        let d = ok(r#"{"status":"ok","name":"n","version":"1","score_min":0,"score_max":1,
            "thresholds":[{"label":"op","value":0.5}],"template":{"kind":"embedding","dim":4}}"#)
        .unwrap();
        assert_eq!(d.template, TemplateFormat::Embedding { dim: 4 });
        let bad = ok(r#"{"status":"ok","name":"n","version":"1","score_min":0,"score_max":1,
            "thresholds":[{"label":"op","value":2}],"template":{"kind":"opaque"}}"#);
        assert!(bad.unwrap_err().0.contains("outside the score range"));
        assert!(ok(r#"{"status":"ok","name":"n"}"#).is_err());
    }
}
