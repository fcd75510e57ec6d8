//! The `embedded` vendor: a passthrough for benchmarks whose samples carry templates
//! (score-level benchmarks). The media bytes are the embedding (little-endian f32); the
//! template is those bytes unchanged, and the score is their cosine similarity.
//!
//! ```toml
//! kind = "embedded"
//! name = "precomputed-arcface"
//! version = "1"
//! dim = 512            # optional: inferred from the first template when absent
//! [[thresholds]]
//! label = "operational"
//! value = 0.4
//! ```

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use harness::vendor::{
    DeclaredThreshold, FailureCode, Role, Template, TemplateFailure, TemplateFormat, Vendor, VendorDescription, cosine,
};
use serde::Deserialize;
use std::path::Path;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub dim: Option<usize>,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
}

pub struct EmbeddedVendor {
    config: EmbeddedConfig,
    /// From the config, or fixed by the first template seen.
    dim: OnceLock<usize>,
    fingerprint: String,
}

impl EmbeddedVendor {
    /// A passthrough vendor of a known dimension (no config file).
    pub fn with_dim(name: &str, dim: usize) -> Self {
        let config = EmbeddedConfig {
            kind: "embedded".into(),
            name: name.into(),
            version: "1".into(),
            dim: Some(dim),
            thresholds: Vec::new(),
        };
        let fingerprint = config::fingerprint("embedded", &format!("{name}\n{dim}"));
        EmbeddedVendor { config, dim: OnceLock::from(dim), fingerprint }
    }

    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: EmbeddedConfig = file.parse()?;
        if config.kind != "embedded" {
            return Err(file.error_at_key(&["kind"], format!("expected `embedded`, found `{}`", config.kind)));
        }
        if config.dim == Some(0) {
            return Err(file.error_at_key(&["dim"], "dim must be at least 1"));
        }
        config::check_thresholds(&file, &config.thresholds, (-1.0, 1.0))?;
        let dim = config.dim.map_or_else(OnceLock::new, OnceLock::from);
        Ok(EmbeddedVendor { fingerprint: config::fingerprint("embedded", text), config, dim })
    }

    pub fn from_file(path: &Path) -> Result<Self, VendorError> {
        Self::from_toml(&config::read(path)?, path)
    }

    /// The embedding dimension, once known.
    pub fn dim(&self) -> Option<usize> {
        self.dim.get().copied()
    }
}

impl Vendor for EmbeddedVendor {
    /// Until the dimension is known (no `dim` in the config and no template made yet),
    /// the template format is reported as opaque; `compare` is cosine either way.
    fn describe(&self) -> VendorDescription {
        VendorDescription {
            name: self.config.name.clone(),
            version: self.config.version.clone(),
            score_min: -1.0,
            score_max: 1.0,
            score_meaning: "cosine similarity of the embedded templates".into(),
            thresholds: self
                .config
                .thresholds
                .iter()
                .map(|t| DeclaredThreshold { label: t.label.clone(), value: t.value })
                .collect(),
            template: self.dim().map_or(TemplateFormat::Opaque, |dim| TemplateFormat::Embedding { dim }),
        }
    }

    fn create_template(&self, media: &[u8], _role: Role) -> Result<Template, TemplateFailure> {
        if media.is_empty() || !media.len().is_multiple_of(4) {
            return Err(TemplateFailure {
                code: FailureCode::ParseError,
                message: format!("embedded template has {} bytes, not a whole number of f32 values", media.len()),
            });
        }
        let dim = *self.dim.get_or_init(|| media.len() / 4);
        let template = Template(media.to_vec());
        template.embedding(dim).map_err(|e| TemplateFailure { code: FailureCode::ParseError, message: e.message })?;
        Ok(template)
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        let dim = self.dim().unwrap_or(probe.0.len() / 4);
        Ok(cosine(&probe.embedding(dim)?, &reference.embedding(dim)?))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn passthrough_and_cosine() {
        let v = EmbeddedVendor::from_toml("kind = \"embedded\"\nname = \"e\"\nversion = \"1\"\n", Path::new("e.toml"))
            .unwrap();
        assert_eq!(v.describe().template, TemplateFormat::Opaque);
        let a = v.create_template(&bytes(&[1.0, 0.0, 0.0]), Role::Enrol).unwrap();
        let b = v.create_template(&bytes(&[1.0, 1.0, 0.0]), Role::Search).unwrap();
        assert_eq!(a.0, bytes(&[1.0, 0.0, 0.0]));
        assert_eq!(v.describe().template, TemplateFormat::Embedding { dim: 3 });
        assert!((v.compare(&a, &b).unwrap() - 0.5f64.sqrt()).abs() < 1e-9);
        let wrong = v.create_template(&bytes(&[1.0, 0.0]), Role::Search).unwrap_err();
        assert_eq!(wrong.code, FailureCode::ParseError);
        let nan = v.create_template(&bytes(&[f32::NAN, 0.0, 0.0]), Role::Search).unwrap_err();
        assert_eq!(nan.code, FailureCode::ParseError);
    }

    #[test]
    fn configured_dim_is_enforced() {
        let v = EmbeddedVendor::with_dim("e", 2);
        assert_eq!(v.describe().template, TemplateFormat::Embedding { dim: 2 });
        assert!(v.create_template(&bytes(&[1.0, 2.0, 3.0]), Role::Enrol).is_err());
        let text = "kind = \"embedded\"\nname = \"e\"\nversion = \"1\"\ndim = 0\n";
        let e = EmbeddedVendor::from_toml(text, Path::new("e.toml")).err().unwrap().to_string();
        assert!(e.contains("line 4") && e.contains("`dim`"), "{e}");
    }
}
