//! What a run records of its inputs: each input file's SHA-256 under a name relative to
//! the output folder (docs/results.md, `provenance`), so results carry no absolute path
//! and the same run in another folder gives the same bytes.

use crate::Error;
use harness::model::results::Provenance;
use harness::vendor::Vendor;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// How an input file is named in results: relative to the output folder.
pub fn input_name(path: &Path, out: &Path) -> String {
    storage::relative::relative_to(path, out)
}

/// SHA-256 of a file, hex, read in blocks (a score file may be larger than memory); a
/// file that cannot be read is bad input naming it.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let bad = |e: std::io::Error| Error::BadInput(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(bad)?;
    let mut hash = Sha256::new();
    std::io::copy(&mut file, &mut hash).map_err(bad)?;
    Ok(hex::encode(hash.finalize()))
}

/// Provenance entries of one vendor: its config file (`vendor:PATH`, relative to the
/// output folder `out`) and every model or library file it declares (`vendor-file:PATH`,
/// relative to the config's folder, or the file name alone when it lies elsewhere, e.g.
/// an interpreter on PATH), each with its SHA-256.
pub fn vendor_inputs(config: &Path, vendor: &dyn Vendor, out: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut entries = vec![(format!("vendor:{}", input_name(config, out)), sha256_file(config)?)];
    let folder = storage::relative::absolute(config.parent().unwrap_or(Path::new(".")));
    for file in vendor.provenance_files() {
        let absolute = storage::relative::absolute(&file);
        let name = match absolute.strip_prefix(&folder) {
            Ok(inside) => inside.to_string_lossy().replace('\\', "/"),
            Err(_) => file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned()),
        };
        entries.push((format!("vendor-file:{name}"), sha256_file(&file)?));
    }
    Ok(entries)
}

/// The provenance of a run: this verity's version, `command` (the command line, its
/// paths relative to the output folder), the seeds and the inputs.
pub fn provenance(command: String, seeds: BTreeMap<String, u64>, inputs: BTreeMap<String, String>) -> Provenance {
    Provenance { verity_version: env!("CARGO_PKG_VERSION").to_string(), command, seeds, inputs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use harness::vendor::{Role, Template, TemplateFailure, VendorDescription};
    use std::path::PathBuf;

    struct WithModel(PathBuf);

    impl Vendor for WithModel {
        fn describe(&self) -> VendorDescription {
            unimplemented!("not needed for provenance")
        }
        fn create_template(&self, _: &[u8], _: Role) -> Result<Template, TemplateFailure> {
            unimplemented!("not needed for provenance")
        }
        fn compare(&self, _: &Template, _: &Template) -> Result<f64, TemplateFailure> {
            unimplemented!("not needed for provenance")
        }
        fn fingerprint(&self) -> String {
            "with-model".into()
        }
        fn provenance_files(&self) -> Vec<PathBuf> {
            vec![self.0.clone()]
        }
    }

    #[test]
    fn vendor_inputs_hash_the_config_and_every_model_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("v.toml");
        let model = dir.path().join("model.onnx");
        std::fs::write(&config, "kind = \"x\"\n").unwrap();
        std::fs::write(&model, b"abc").unwrap();
        let inputs = vendor_inputs(&config, &WithModel(model.clone()), &dir.path().join("out")).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[0].0, "vendor:../v.toml");
        assert_eq!(inputs[1].0, "vendor-file:model.onnx");
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(inputs[1].1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // A model file that cannot be read is bad input naming it.
        std::fs::remove_file(&model).unwrap();
        let e = vendor_inputs(&config, &WithModel(model.clone()), dir.path()).unwrap_err();
        assert!(e.is_bad_input() && e.to_string().contains("model.onnx"), "{e}");
    }
}
