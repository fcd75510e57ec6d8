//! The `frte` vendor: a library built for NIST's FRTE (formerly FRVT) 1:1 or 1:N
//! evaluation, run unchanged (docs/adapters.md, "frte").
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
//!
//! With `api = "1:N"` the library is one built for NIST's 1:N evaluation
//! (frte/shim1n.cpp, frte/frte1n_api.h): one pool of workers makes enrolment templates
//! (after `initializeTemplateCreation(config_dir, Enrollment_1N)`), another search
//! templates (`Search_1N`); 1:N protocols use its own search ([`Vendor::native_search`]):
//! each gallery is written as NIST's EDB and manifest, finalised by `finalizeEnrollment`
//! in a worker of its own, and searched by a pool of workers that
//! `initializeIdentification` on it and fork the child calling `identifyTemplate`. Such
//! a library has no 1:1 comparison ([`Vendor::compares`] is false).

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use crate::frte_worker::{ENROLLMENT_1N, IMAGE_LABELS, Mode, SEARCH_1N, WORKER_ARG, description_1n};
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
    /// 1:N: the longest `finalizeEnrollment` of one gallery may take.
    #[serde(default = "default_finalize_timeout_ms")]
    pub finalize_timeout_ms: u64,
}

fn default_finalize_timeout_ms() -> u64 {
    3_600_000
}

/// FRTE allows a library a long `initialize` (models are loaded there).
fn default_start_timeout_ms() -> u64 {
    300_000
}

pub struct FrteVendor {
    /// 1:1: the workers. 1:N: the workers making enrolment templates.
    inner: ProcessVendor,
    /// 1:N: the workers making search templates, and what starts a gallery's.
    one_to_n: Option<(ProcessVendor, Launch)>,
    fingerprint: String,
    files: Vec<PathBuf>,
}

/// How to start a pool of workers in a given mode.
#[derive(Clone)]
struct Launch {
    program: PathBuf,
    /// The worker arguments every mode shares: `__frte-worker`, library, config folder,
    /// timeout, image label, description.
    common: Vec<String>,
    process: ProcessConfig,
    base: PathBuf,
    stderr_log: PathBuf,
    env: Vec<(String, std::ffi::OsString)>,
    fingerprint: String,
    files: Vec<PathBuf>,
    finalize_timeout: std::time::Duration,
    galleries: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// `log` with `-<part>` before its extension: the stderr log of another pool.
fn sibling_log(log: &Path, part: &str) -> PathBuf {
    let stem = log.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match log.extension() {
        Some(ext) => format!("{stem}-{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{part}"),
    };
    log.with_file_name(name)
}

impl Launch {
    fn start(&self, mode: &Mode, stderr_log: PathBuf) -> Result<ProcessVendor, StartFailure> {
        let mut process = self.process.clone();
        process.args = [self.common.clone(), mode.args()].concat();
        ProcessVendor::start_with(
            process,
            self.program.clone(),
            self.base.clone(),
            stderr_log,
            self.env.clone(),
            self.fingerprint.clone(),
            self.files.clone(),
        )
    }
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

/// The company and version of a library named as NIST asks: `libfrvt_11_<company>_<ver>.so`
/// (1:1) or `libfrvt_1N_<company>_<ver>.so` (1:N).
fn name_from_library(library: &Path) -> Option<(String, String)> {
    let name = library.file_name()?.to_str()?;
    let stem = name.strip_prefix("libfrvt_11_").or_else(|| name.strip_prefix("libfrvt_1N_"))?.strip_suffix(".so")?;
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
        let one_to_n = match config.api.as_str() {
            "1:1" => false,
            "1:N" => true,
            other => {
                return Err(file.error_at_key(&["api"], format!("unknown api `{other}`; use \"1:1\" or \"1:N\"")));
            }
        };
        for (key, value) in [
            ("timeout_ms", config.timeout_ms),
            ("start_timeout_ms", config.start_timeout_ms),
            ("finalize_timeout_ms", config.finalize_timeout_ms),
        ] {
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
        if one_to_n && description_1n(label).is_none() {
            return Err(file.error_at_key(
                &["image_label"],
                format!(
                    "the FRTE 1:N API has no image description for `{}`; one of unknown, iso, mugshot, \
                     photojournalism, wild",
                    IMAGE_LABELS[label]
                ),
            ));
        }

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
                if one_to_n {
                    "similarity from the FRTE 1:N library's identifyTemplate (higher means more alike)".into()
                } else {
                    "similarity from the FRTE library's matchTemplates (higher means more alike)".into()
                }
            }),
            "thresholds": config.thresholds.iter().map(|t| json!({"label": t.label, "value": t.value})).collect::<Vec<_>>(),
            "template": {"kind": "opaque"},
        });
        let common = vec![
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
            args: Vec::new(),
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
        let launch = Launch {
            program,
            common,
            process,
            base: base.to_path_buf(),
            stderr_log: stderr_log.clone(),
            env: vec![("LD_LIBRARY_PATH".into(), library_path)],
            fingerprint: fingerprint.clone(),
            files: files.clone(),
            finalize_timeout: std::time::Duration::from_millis(config.finalize_timeout_ms),
            galleries: Default::default(),
        };
        let located = |failure: StartFailure| match failure {
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
        };
        if !one_to_n {
            let inner = launch.start(&Mode::OneToOne, stderr_log).map_err(located)?;
            return Ok(FrteVendor { inner, one_to_n: None, fingerprint, files });
        }
        let inner = launch.start(&Mode::Templates(ENROLLMENT_1N), stderr_log.clone()).map_err(located)?;
        let search = launch.start(&Mode::Templates(SEARCH_1N), sibling_log(&stderr_log, "search")).map_err(located)?;
        Ok(FrteVendor { inner, one_to_n: Some((search, launch)), fingerprint, files })
    }

    /// Where the workers' (and the library's) standard error goes.
    pub fn stderr_log(&self) -> &Path {
        self.inner.stderr_log()
    }
}

/// A gallery finalised by a 1:N library: its folder (removed when dropped) and the
/// workers searching it.
struct FrteGallery {
    dir: PathBuf,
    workers: ProcessVendor,
    size: usize,
}

impl Drop for FrteGallery {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn gallery_failure(message: String) -> TemplateFailure {
    TemplateFailure { code: FailureCode::VendorError, message }
}

impl Launch {
    /// Write the gallery as NIST's harness does (the templates concatenated in `edb`, a
    /// manifest line `id size offset` each), run `finalizeEnrollment` in a worker of its
    /// own, then start the workers that `initializeIdentification` on the result.
    fn enrol(&self, gallery: &[&Template]) -> Result<FrteGallery, TemplateFailure> {
        let n = self.galleries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("verity-frte-gallery-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let enrollment = dir.join("enroll");
        std::fs::create_dir_all(&enrollment)
            .map_err(|e| gallery_failure(format!("cannot make the gallery folder {}: {e}", enrollment.display())))?;
        let (mut edb, mut manifest) = (Vec::new(), String::new());
        for (id, template) in gallery.iter().enumerate() {
            manifest.push_str(&format!("{id} {} {}\n", template.0.len(), edb.len()));
            edb.extend_from_slice(&template.0);
        }
        let (edb_path, manifest_path) = (dir.join("edb"), dir.join("manifest"));
        for (path, bytes) in [(&edb_path, &edb[..]), (&manifest_path, manifest.as_bytes())] {
            std::fs::write(path, bytes)
                .map_err(|e| gallery_failure(format!("cannot write {}: {e}", path.display())))?;
        }
        let text = |p: &Path| p.to_string_lossy().into_owned();
        let mode =
            Mode::Finalize { enrollment: text(&enrollment), edb: text(&edb_path), manifest: text(&manifest_path) };
        let ready = self
            .finalize(&mode, &sibling_log(&self.stderr_log, &format!("finalize-{n}")))
            .and_then(|()| self.start_identify(&enrollment, n));
        match ready {
            Ok(workers) => Ok(FrteGallery { dir, workers, size: gallery.len() }),
            Err(failure) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(failure)
            }
        }
    }

    fn start_identify(&self, enrollment: &Path, n: u64) -> Result<ProcessVendor, TemplateFailure> {
        let mode = Mode::Identify(enrollment.to_string_lossy().into_owned());
        self.start(&mode, sibling_log(&self.stderr_log, &format!("gallery-{n}"))).map_err(|failure| match failure {
            StartFailure::Spawn(m) => gallery_failure(m),
            StartFailure::Describe { message, log } => {
                gallery_failure(format!("identification could not start: {message} (stderr log: {})", log.display()))
            }
        })
    }

    /// Run `finalizeEnrollment` in a worker of its own, within `finalize_timeout`.
    fn finalize(&self, mode: &Mode, log: &Path) -> Result<(), TemplateFailure> {
        let stderr =
            std::fs::File::create(log).map_err(|e| gallery_failure(format!("cannot write {}: {e}", log.display())))?;
        let mut child = std::process::Command::new(&self.program)
            .args(&self.common)
            .args(mode.args())
            .current_dir(&self.base)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| gallery_failure(format!("cannot start the finalize worker: {e}")))?;
        let deadline = std::time::Instant::now() + self.finalize_timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(gallery_failure(format!(
                        "the FRTE library did not return from finalizeEnrollment within {} ms (killed; stderr log: {})",
                        self.finalize_timeout.as_millis(),
                        log.display()
                    )));
                }
            }
        };
        let mut out = String::new();
        if let Some(mut stdout) = child.stdout.take() {
            use std::io::Read;
            let _ = stdout.read_to_string(&mut out);
        }
        let reply: Option<serde_json::Value> = out.lines().last().and_then(|l| serde_json::from_str(l).ok());
        match reply {
            Some(r) if r["status"] == "ok" => Ok(()),
            Some(r) => Err(gallery_failure(format!(
                "finalizeEnrollment failed: {} (stderr log: {})",
                r["message"].as_str().unwrap_or("no message"),
                log.display()
            ))),
            None => Err(gallery_failure(format!(
                "the FRTE library crashed in finalizeEnrollment (the worker {}; stderr log: {})",
                describe_exit(status),
                log.display()
            ))),
        }
    }
}

/// How a worker process ended, in words.
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (_, Some(signal)) => format!("was killed by signal {signal}"),
        (Some(code), _) => format!("exited with status {code}"),
        _ => "ended".into(),
    }
}

impl harness::vendor::NativeSearch for FrteVendor {
    fn enrol(&self, gallery: &[&Template]) -> Result<Box<dyn harness::vendor::EnrolledGallery + '_>, TemplateFailure> {
        let Some((_, launch)) = &self.one_to_n else {
            return Err(gallery_failure("an FRTE 1:1 library has no 1:N search".into()));
        };
        Ok(Box::new(launch.enrol(gallery)?))
    }
}

impl harness::vendor::EnrolledGallery for FrteGallery {
    fn search(&self, probe: &Template, candidates: usize) -> Result<Vec<(u32, f64)>, TemplateFailure> {
        let request = json!({
            "op": "search",
            "template_b64": crate::process_wire::encode_base64(&probe.0),
            "candidates": candidates,
        });
        let size = self.size;
        self.workers.call_json(request.to_string(), |reply| {
            let list = reply.get("candidates").and_then(serde_json::Value::as_array).ok_or("no `candidates`")?;
            list.iter()
                .map(|c| {
                    let id = c["id"].as_str().and_then(|t| t.parse::<u32>().ok()).filter(|&i| (i as usize) < size);
                    match (id, c["score"].as_f64()) {
                        (Some(id), Some(score)) if score.is_finite() => Ok((id, score)),
                        _ => Err(format!(
                            "identifyTemplate gave a candidate outside the gallery or without a score: {c}"
                        )),
                    }
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(|m| m.to_string())
        })
    }
}

impl Vendor for FrteVendor {
    fn describe(&self) -> VendorDescription {
        self.inner.describe()
    }

    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        match (&self.one_to_n, role) {
            (None, _) | (Some(_), Role::Enrol) => self.inner.create_template(media, role),
            (Some((search, _)), Role::Search) => search.create_template(media, role),
            (Some(_), Role::Verify) => Err(TemplateFailure {
                code: FailureCode::VendorError,
                message: "an FRTE 1:N library makes no 1:1 verification templates".into(),
            }),
        }
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        if self.one_to_n.is_some() {
            return Err(TemplateFailure {
                code: FailureCode::VendorError,
                message: "an FRTE 1:N library has no 1:1 comparison (matchTemplates)".into(),
            });
        }
        self.inner.compare(probe, reference)
    }

    fn native_search(&self) -> Option<&dyn harness::vendor::NativeSearch> {
        self.one_to_n.as_ref().map(|_| self as &dyn harness::vendor::NativeSearch)
    }

    fn compares(&self) -> bool {
        self.one_to_n.is_none()
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn provenance_files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn fatal(&self) -> Option<String> {
        self.inner.fatal().or_else(|| self.one_to_n.as_ref().and_then(|(search, _)| search.fatal()))
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
        assert_eq!(n("libfrvt_1N_acme_002.so"), Some(("acme".into(), "002".into())));
    }
}
