//! Vendor adapters: implementations of the engine's [`harness::vendor::Vendor`]
//! contract (docs/design.md, "Vendors"), each configured by a TOML file whose `kind` names the
//! adapter.
//!
//! - [`simulated`]: a seeded statistical vendor with per-group parameters, reading
//!   synthetic face media; it plants known differentials for the demo, tests and planner.
//! - [`embedded`]: a passthrough for score-level benchmarks whose samples carry their
//!   embeddings.
//! - [`onnx`]: an ONNX face-recognition model run by a dynamically loaded ONNX Runtime
//!   (`scripts/setup-onnx`, `examples/onnx-dlib/`).
//! - [`process`]: any executable speaking JSON lines over stdin/stdout
//!   (docs/process-protocol.md).
//! - `candle` (feature `candle`): dlib's ResNet face descriptor run natively on candle's
//!   CPU tensors from safetensors weights (docs/adapters.md).
//! - [`frte`]: a library built for NIST's FRTE 1:1 evaluation, run unchanged in forked
//!   worker processes ([`frte_worker`]; docs/adapters.md).
//! - [`http`]: a vendor's face-recognition service over HTTP(S) (docs/adapters.md).
//! - [`scores`]: a vendor's precomputed scores and candidate lists for the published
//!   trial list (docs/scores-adapter.md); read by `verity run` in place of running one.
//!
//! This crate depends on `harness` only. It must never depend on `datasets`, `reports`
//! or the command line: an adapter sees media bytes and returns templates, and knows
//! nothing of benchmark files, subjects or labels (blinding).

#[cfg(feature = "candle")]
pub mod candle;
pub mod config;
pub mod embedded;
pub mod frte;
pub mod frte_worker;
mod health;
pub mod http;
pub mod onnx;
pub mod process;
pub mod process_wire;
pub mod scores;
pub mod simulated;
pub mod stderr_log;

use harness::vendor::Vendor;
use std::path::{Path, PathBuf};

pub use embedded::EmbeddedVendor;
pub use frte::FrteVendor;
pub use http::HttpVendor;
pub use onnx::OnnxVendor;
pub use process::ProcessVendor;
pub use simulated::SimulatedVendor;

/// The adapter kinds `load_vendor` knows.
pub const KINDS: &[&str] = &["simulated", "embedded", "process", "scores", "onnx", "frte", "http", "candle"];

#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    #[error("cannot read vendor config {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// A bad config: where, which key, and what is wrong.
    #[error("vendor config {}, line {line}, column {column}, key `{key}`: {message}", path.display())]
    Config { path: PathBuf, line: usize, column: usize, key: String, message: String },
}

#[derive(serde::Deserialize)]
struct KindOnly {
    kind: Option<String>,
}

/// Load a vendor from its config file, dispatching on the `kind` key.
pub fn load_vendor(path: &Path) -> Result<Box<dyn Vendor>, VendorError> {
    let text = config::read(path)?;
    vendor_from_toml(&text, path)
}

/// Build a vendor from config text; `path` is only used in error messages.
pub fn vendor_from_toml(text: &str, path: &Path) -> Result<Box<dyn Vendor>, VendorError> {
    let file = config::ConfigText::new(path, text);
    let kind = file.parse::<KindOnly>()?.kind;
    match kind.as_deref() {
        Some("simulated") => Ok(Box::new(SimulatedVendor::from_toml(text, path)?)),
        Some("embedded") => Ok(Box::new(EmbeddedVendor::from_toml(text, path)?)),
        Some("process") => Ok(Box::new(ProcessVendor::from_toml(text, path)?)),
        Some("onnx") => Ok(Box::new(OnnxVendor::from_toml(text, path)?)),
        Some("frte") => Ok(Box::new(FrteVendor::from_toml(text, path)?)),
        Some("http") => Ok(Box::new(HttpVendor::from_toml(text, path)?)),
        #[cfg(feature = "candle")]
        Some("candle") => Ok(Box::new(candle::CandleVendor::from_toml(text, path)?)),
        #[cfg(not(feature = "candle"))]
        Some("candle") => Err(file.error_at_key(
            &["kind"],
            "this verity was built without the `candle` feature: build it with `cargo build --release --features vendors/candle`",
        )),
        Some("scores") => Err(scores::not_a_media_vendor(&file)),
        Some(other) => {
            Err(file
                .error_at_key(&["kind"], format!("unknown vendor kind `{other}`; known kinds: {}", KINDS.join(", "))))
        }
        None => Err(file.error(None, "kind", format!("missing key `kind` (one of: {})", KINDS.join(", ")))),
    }
}
