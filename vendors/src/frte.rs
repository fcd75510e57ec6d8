//! The `frte` vendor: a library built for NIST's FRTE (formerly FRVT) 1:1 evaluation,
//! run unchanged (docs/adapters.md, "frte").
//!
//! ```toml
//! kind = "frte"
//! library = "lib/libfrvt_11_acme_001.so"   # relative to this file
//! config_dir = "config"                      # read-only, as NIST gives it
//! api = "1:1"
//! name = "acme"                              # default: from the library's file name
//! version = "001"
//! score_max = 1.0                            # FRTE similarities lie in 0..=score_max
//! timeout_ms = 30000                         # per createTemplate / matchTemplates call
//! processes = 2
//! image_label = "mugshot"                    # FRTE Image::Label; default unknown
//! [[thresholds]]
//! label = "operational"
//! value = 0.6
//! ```
//!
//! The library never runs in verity's own process. Each of `processes` workers is
//! `verity __frte-worker` ([`crate::frte_worker`]): it loads the library through a small
//! C++ shim (frte/shim.cpp, compiled by build.rs against verity's declarations of the
//! API, frte/frte_api.h), checks its API version, calls `initialize(config_dir)` once
//! and forks the child that makes templates. A crash or hang in vendor code costs the
//! one template or comparison it happened on, counted as a failure with its reason, and
//! the child is forked again from the initialised library; past `max_failure_share`
//! faults the run stops, as with the `process` adapter, which carries the workers'
//! calls (timeouts, restarts, the stderr log).
//!
//! Images reach the library as FRTE `Image`s (8-bit intensity or 24-bit RGB rows decoded
//! from the media bytes); templates come back as opaque bytes and are compared by its
//! `matchTemplates`. Blinding: the worker sees media bytes and template bytes only.

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use crate::frte_worker::{IMAGE_LABELS, WORKER_ARG};
use crate::process::{
    ProcessConfig, ProcessVendor, StartFailure, default_max_failure_share, default_max_restarts, default_min_calls,
    default_processes, default_timeout_ms,
};
use harness::vendor::{FailureCode, Role, Template, TemplateFailure, Vendor, VendorDescription};
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Time the worker is given, beyond the library's own `timeout_ms`, to report a hang.
const WORKER_MARGIN_MS: u64 = 5_000;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrteConfig {
    pub kind: String,
    pub library: String,
    pub config_dir: String,
    pub api: String,
    pub name: Option<String>,
    pub version: Option<String>,
    #[serde(default)]
    pub score_min: f64,
    pub score_max: f64,
    pub score_meaning: Option<String>,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_start_timeout_ms")]
    pub start_timeout_ms: u64,
    #[serde(default = "default_processes")]
    pub processes: usize,
    #[serde(default = "default_max_failure_share")]
    pub max_failure_share: f64,
    #[serde(default = "default_min_calls")]
    pub min_calls: u64,
    #[serde(default = "default_max_restarts")]
    pub max_restarts: u64,
    pub image_label: Option<String>,
    pub stderr_log: Option<String>,
}

/// FRTE allows a library a long `initialize` (models are loaded there).
fn default_start_timeout_ms() -> u64 {
    300_000
}

pub struct FrteVendor {
    inner: ProcessVendor,
    fingerprint: String,
    files: Vec<PathBuf>,
}

/// Every file under `dir`, sorted, as (path relative to `dir`, path). Links are
/// followed (a model file may be a link), each folder read once, so a link loop ends.
fn files_under(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if !seen.insert(std::fs::canonicalize(&d)?) {
            continue;
        }
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() {
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.push((relative, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A folder or file any of whose write bits is set.
fn writable(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o222 != 0).then_some(mode & 0o7777)
}

/// The company and version of a library named as NIST asks: `libfrvt_11_<company>_<ver>.so`.
fn name_from_library(library: &Path) -> Option<(String, String)> {
    let stem = library.file_name()?.to_str()?.strip_prefix("libfrvt_11_")?.strip_suffix(".so")?;
    let (company, version) = stem.rsplit_once('_')?;
    (!company.is_empty() && !version.is_empty()).then(|| (company.to_string(), version.to_string()))
}

impl FrteVendor {
    /// Check the config, start the first worker (which loads the library, checks its
    /// API version and initialises it) and describe the vendor. The workers are the
    /// running program, which must call [`crate::frte_worker::worker_entry`] first thing
    /// in `main` (`verity` does).
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let program = std::env::current_exe().map_err(|e| VendorError::Config {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            key: "kind".into(),
            message: format!("cannot find the running program to start the frte workers: {e}"),
        })?;
        Self::with_worker(text, path, program)
    }

    /// As [`FrteVendor::from_toml`], with the workers started as `program __frte-worker
    /// ...` (a program other than the running one, such as `verity` in tests).
    pub fn with_worker(text: &str, path: &Path, program: PathBuf) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: FrteConfig = file.parse()?;
        if config.kind != "frte" {
            return Err(file.error_at_key(&["kind"], format!("expected `frte`, found `{}`", config.kind)));
        }
        match config.api.as_str() {
            "1:1" => {}
            "1:N" => {
                return Err(file.error_at_key(
                    &["api"],
                    "the FRTE 1:N API (finalizeEnrollment, identifyTemplate) is not supported yet; \
                     a 1:N library's searches can be scored with the `scores` adapter",
                ));
            }
            other => return Err(file.error_at_key(&["api"], format!("unknown api `{other}`; use \"1:1\""))),
        }
        for (key, value) in [("timeout_ms", config.timeout_ms), ("start_timeout_ms", config.start_timeout_ms)] {
            if value == 0 {
                return Err(file.error_at_key(&[key], format!("{key} must be at least 1")));
            }
        }
        if config.processes == 0 {
            return Err(file.error_at_key(&["processes"], "processes must be at least 1"));
        }
        if !(config.max_failure_share >= 0.0 && config.max_failure_share < 1.0) {
            return Err(file.error_at_key(&["max_failure_share"], "max_failure_share must be in 0..1"));
        }
        if !(config.score_min.is_finite() && config.score_max.is_finite() && config.score_min < config.score_max) {
            return Err(file.error_at_key(
                &["score_max"],
                format!("score range {}..{} is not a range", config.score_min, config.score_max),
            ));
        }
        config::check_thresholds(&file, &config.thresholds, (config.score_min, config.score_max))?;
        let label = match &config.image_label {
            None => 0,
            Some(l) => IMAGE_LABELS.iter().position(|k| k == l).ok_or_else(|| {
                file.error_at_key(
                    &["image_label"],
                    format!("unknown image_label `{l}`; one of {}", IMAGE_LABELS.join(", ")),
                )
            })?,
        };

        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        let library = absolute(base.join(&config.library));
        if !library.is_file() {
            return Err(file.error_at_key(&["library"], format!("no library file {}", library.display())));
        }
        let config_dir = absolute(base.join(&config.config_dir));
        if !config_dir.is_dir() {
            return Err(file.error_at_key(&["config_dir"], format!("no folder {}", config_dir.display())));
        }
        let config_files = files_under(&config_dir)
            .map_err(|e| file.error_at_key(&["config_dir"], format!("cannot read {}: {e}", config_dir.display())))?;
        let writable_path = std::iter::once(config_dir.clone())
            .chain(config_files.iter().map(|(_, p)| p.clone()))
            .find_map(|p| writable(&p).map(|mode| (p, mode)));
        if let Some((p, mode)) = writable_path {
            return Err(file.error_at_key(
                &["config_dir"],
                format!(
                    "{} is writable (mode {mode:o}); FRTE gives the library a read-only configuration folder, so \
                     that a run cannot change it (make it read-only: chmod -R a-w {})",
                    p.display(),
                    config_dir.display()
                ),
            ));
        }
        let (default_name, default_version) = name_from_library(&library).unwrap_or_else(|| {
            (library.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), String::new())
        });
        let name = config.name.clone().unwrap_or(default_name);
        let version = config.version.clone().unwrap_or(default_version);

        // Fingerprint: the config text, the library and every configuration file.
        let hash = |p: &Path, key: &str| {
            config::file_sha256(p).map_err(|e| file.error_at_key(&[key], format!("cannot read {}: {e}", p.display())))
        };
        let mut parts = vec![format!("config {}", config::fingerprint("frte", text))];
        parts.push(format!("library {}", hash(&library, "library")?));
        for (relative, p) in &config_files {
            parts.push(format!("config_dir {relative} {}", hash(p, "config_dir")?));
        }
        let fingerprint = config::fingerprint("frte", &parts.join("\n"));
        let mut files = vec![library.clone()];
        files.extend(config_files.iter().map(|(_, p)| p.clone()));

        let describe = json!({
            "name": name,
            "version": version,
            "score_min": config.score_min,
            "score_max": config.score_max,
            "score_meaning": config.score_meaning.clone().unwrap_or_else(|| {
                "similarity from the FRTE library's matchTemplates (higher means more alike)".into()
            }),
            "thresholds": config.thresholds.iter().map(|t| json!({"label": t.label, "value": t.value})).collect::<Vec<_>>(),
            "template": {"kind": "opaque"},
        });
        let args = vec![
            WORKER_ARG.to_string(),
            library.to_string_lossy().into_owned(),
            config_dir.to_string_lossy().into_owned(),
            config.timeout_ms.to_string(),
            label.to_string(),
            describe.to_string(),
        ];
        let process = ProcessConfig {
            kind: "process".into(),
            command: program.to_string_lossy().into_owned(),
            args,
            working_dir: None,
            timeout_ms: config.timeout_ms + WORKER_MARGIN_MS,
            start_timeout_ms: config.start_timeout_ms,
            processes: config.processes,
            max_failure_share: config.max_failure_share,
            min_calls: config.min_calls,
            max_restarts: config.max_restarts,
            stderr_log: config.stderr_log.clone(),
        };
        let stderr_log = match &config.stderr_log {
            Some(log) => base.join(log),
            None => std::env::temp_dir().join(format!("verity-frte-{}.stderr.log", &fingerprint[12..28])),
        };
        // The library's own dependencies may sit beside it (NIST's lib/ folder).
        let mut library_path = std::ffi::OsString::from(library.parent().unwrap_or(Path::new(".")));
        if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH").filter(|v| !v.is_empty()) {
            library_path.push(":");
            library_path.push(existing);
        }
        let inner = ProcessVendor::start_with(
            process,
            program,
            base.to_path_buf(),
            stderr_log,
            vec![("LD_LIBRARY_PATH".into(), library_path)],
            fingerprint.clone(),
            files.clone(),
        )
        .map_err(|failure| match failure {
            StartFailure::Spawn(e) => file.error_at_key(&["library"], e),
            StartFailure::Describe { message, log } => {
                // The worker's own errors name the key they are about.
                let own = message.split_once("config-error: ").map(|(_, m)| m);
                match own.and_then(|m| m.split_once(": ")) {
                    Some((key @ ("library" | "config_dir"), m)) => file.error_at_key(&[key], m.to_string()),
                    _ => file.error_at_key(
                        &["library"],
                        format!("the worker loading the library failed: {message} (stderr log: {})", log.display()),
                    ),
                }
            }
        })?;
        Ok(FrteVendor { inner, fingerprint, files })
    }

    /// Where the workers' (and the library's) standard error goes.
    pub fn stderr_log(&self) -> &Path {
        self.inner.stderr_log()
    }
}

impl Vendor for FrteVendor {
    fn describe(&self) -> VendorDescription {
        self.inner.describe()
    }

    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        self.inner.create_template(media, role)
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        self.inner.compare(probe, reference)
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn provenance_files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn fatal(&self) -> Option<String> {
        self.inner.fatal()
    }

    fn resumed(&self, earlier: &[Option<FailureCode>]) {
        self.inner.resumed(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_folders_are_listed_once_through_link_loops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/model.bin"), b"w").unwrap();
        std::fs::write(dir.path().join("top.conf"), b"c").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/b/loop")).unwrap();
        let names: Vec<String> = files_under(dir.path()).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a/b/model.bin", "top.conf"]);
    }

    #[test]
    fn nist_library_names_give_company_and_version() {
        let n = |s: &str| name_from_library(Path::new(s));
        assert_eq!(n("lib/libfrvt_11_acme_001.so"), Some(("acme".into(), "001".into())));
        assert_eq!(n("libfrvt_11_big_co_7.so"), Some(("big_co".into(), "7".into())));
        assert_eq!(n("libother.so"), None);
        assert_eq!(n("libfrvt_11_acme.so"), None);
    }
}
