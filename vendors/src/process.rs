//! The `process` vendor: any executable speaking JSON lines over stdin/stdout
//! (docs/process-protocol.md), for vendor SDKs in any language.
//!
//! ```toml
//! kind = "process"
//! command = "python3"
//! args = ["vendor.py"]
//! timeout_ms = 30000
//! processes = 2
//! ```
//!
//! The process is not trusted: a crash, a hang (no reply within `timeout_ms`), a
//! malformed reply or a malformed template costs the one call it happened on, recorded
//! as a failure with its reason, and the process is started again for the next call.
//! Replies are read on a thread per process and waited for with a timeout, so a hung
//! vendor cannot hang the run. Past `max_failure_share` faults (or `max_restarts`
//! restarts) the vendor is declared broken ([`Vendor::fatal`]) and every later call
//! fails at once.

use crate::VendorError;
use crate::config::{self, ConfigText};
use crate::health::FaultShare;
use crate::process_wire::{self as wire, DescribeReply, Malformed};
use crate::stderr_log::BoundedLog;
use harness::vendor::{FailureCode, Role, Template, TemplateFailure, TemplateFormat, Vendor, VendorDescription};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessConfig {
    pub kind: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    pub working_dir: Option<String>,
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
    pub stderr_log: Option<String>,
}

pub(crate) fn default_timeout_ms() -> u64 {
    30_000
}
fn default_start_timeout_ms() -> u64 {
    60_000
}
pub(crate) fn default_processes() -> usize {
    1
}
pub(crate) fn default_max_failure_share() -> f64 {
    0.05
}
pub(crate) fn default_min_calls() -> u64 {
    20
}
pub(crate) fn default_max_restarts() -> u64 {
    100
}

/// How to start one child process.
#[derive(Clone)]
struct Launch {
    program: PathBuf,
    args: Vec<String>,
    working_dir: PathBuf,
    stderr_log: PathBuf,
    /// Every process's standard error goes here, bounded (crate::stderr_log).
    log: BoundedLog,
    /// Environment variables set for the process (the `frte` worker's library path).
    env: Vec<(String, std::ffi::OsString)>,
}

impl Launch {
    fn spawn(&self) -> std::io::Result<Child> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.working_dir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(stderr) = child.stderr.take() {
            self.log.follow(stderr);
        }
        Ok(child)
    }

    fn words(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why a call did not get a reply it could use.
#[derive(Debug)]
enum Fault {
    /// Crash, hang or malformed reply: the process is killed and started again.
    Restart(String),
    /// A declared failure or a bad template: the process is kept.
    Keep(FailureCode, String),
}

/// One running child, with its replies arriving on a channel from a reader thread.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<String>,
    /// Let it exit on its own when dropped; false after a fault, when it is killed at once.
    graceful: bool,
}

impl Running {
    fn start(launch: &Launch) -> Result<Running, String> {
        let mut child = launch.spawn().map_err(|e| format!("cannot start `{}`: {e}", launch.words()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the vendor's stdout is not a pipe")?;
        let (send, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if send.send(String::from_utf8_lossy(&line).into_owned()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Running { child, stdin, replies, graceful: true })
    }

    /// Send one request line and wait for its reply line.
    fn exchange(&mut self, request: &str, timeout: Duration) -> Result<String, String> {
        let written = match self.stdin.as_mut() {
            Some(stdin) => {
                stdin.write_all(request.as_bytes()).and_then(|_| stdin.write_all(b"\n")).and_then(|_| stdin.flush())
            }
            None => Err(std::io::Error::other("stdin closed")),
        };
        if let Err(e) = written {
            return Err(format!("vendor process crashed ({}; writing the request: {e})", self.exit_status()));
        }
        match self.replies.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("vendor process did not reply within {} ms (hang; killed)", timeout.as_millis()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                Err(format!("vendor process crashed ({}; no reply)", self.exit_status()))
            }
        }
    }

    /// The exit status, waiting briefly for a process that has closed its output.
    fn exit_status(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_millis(200);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.to_string(),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                _ => return "still running".into(),
            }
        }
    }
}

impl Drop for Running {
    /// Close stdin (the vendor's cue to exit); kill what is still running after 500 ms.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_millis(if self.graceful { 500 } else { 0 });
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why the first process of a vendor could not be used.
#[derive(Debug)]
pub(crate) enum StartFailure {
    /// It could not be started (or its log written).
    Spawn(String),
    /// It started but did not describe itself; `message` says why.
    Describe { message: String, log: PathBuf },
}

pub struct ProcessVendor {
    config: ProcessConfig,
    launch: Launch,
    description: VendorDescription,
    fingerprint: String,
    /// The executable and every argument naming a file, for provenance.
    files: Vec<PathBuf>,
    slots: Vec<Mutex<Option<Running>>>,
    next_slot: AtomicUsize,
    health: FaultShare,
    restarts: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A program named without a path separator, found on PATH.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}

impl ProcessVendor {
    /// Parse the config, start the first process and ask it to describe itself.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: ProcessConfig = file.parse()?;
        if config.kind != "process" {
            return Err(file.error_at_key(&["kind"], format!("expected `process`, found `{}`", config.kind)));
        }
        if config.command.trim().is_empty() {
            return Err(file.error_at_key(&["command"], "command is empty"));
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
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let working_dir = base.join(config.working_dir.as_deref().unwrap_or("."));
        if !working_dir.is_dir() {
            return Err(
                file.error_at_key(&["working_dir"], format!("working folder {} does not exist", working_dir.display()))
            );
        }
        let program = if config.command.contains(std::path::MAIN_SEPARATOR) || config.command.contains('/') {
            working_dir.join(&config.command)
        } else {
            PathBuf::from(&config.command)
        };
        let resolved = if program.components().count() > 1 { Some(program.clone()) } else { on_path(&config.command) };
        let Some(executable) = resolved.filter(|p| p.is_file()) else {
            return Err(file.error_at_key(&["command"], format!("no program `{}` found", config.command)));
        };

        // Fingerprint: the config text, the executable and every argument naming a file.
        let mut parts = vec![format!("config {}", config::fingerprint("process", text))];
        parts.push(format!("executable {}", config::file_sha256(&executable).unwrap_or_default()));
        let mut files = vec![executable];
        for arg in &config.args {
            let candidate = working_dir.join(arg);
            if let Some(d) = Some(&candidate).filter(|p| p.is_file()).and_then(|p| config::file_sha256(p).ok()) {
                parts.push(format!("file {arg} {d}"));
                files.push(candidate);
            }
        }
        let fingerprint = config::fingerprint("process", &parts.join("\n"));

        let stderr_log = match &config.stderr_log {
            Some(log) => base.join(log),
            None => std::env::temp_dir().join(format!("verity-process-{}.stderr.log", &fingerprint[15..31])),
        };
        let log = BoundedLog::create(&stderr_log)
            .map_err(|e| file.error_at_key(&["stderr_log"], format!("cannot write {}: {e}", stderr_log.display())))?;
        let launch = Launch { program, args: config.args.clone(), working_dir, stderr_log, log, env: Vec::new() };
        Self::start(config, launch, fingerprint, files).map_err(|failure| {
            let message = match failure {
                StartFailure::Spawn(e) => e,
                StartFailure::Describe { message, log } => format!("{message} (stderr log: {})", log.display()),
            };
            file.error_at_key(&["command"], message)
        })
    }

    /// Start a vendor whose config is already checked (the `frte` adapter's worker
    /// among them): the first process, its description, the empty slots.
    pub(crate) fn start_with(
        config: ProcessConfig,
        program: PathBuf,
        working_dir: PathBuf,
        stderr_log: PathBuf,
        env: Vec<(String, std::ffi::OsString)>,
        fingerprint: String,
        files: Vec<PathBuf>,
    ) -> Result<Self, StartFailure> {
        let log = BoundedLog::create(&stderr_log)
            .map_err(|e| StartFailure::Spawn(format!("cannot write {}: {e}", stderr_log.display())))?;
        let launch = Launch { program, args: config.args.clone(), working_dir, stderr_log, log, env };
        Self::start(config, launch, fingerprint, files)
    }

    fn start(
        config: ProcessConfig,
        launch: Launch,
        fingerprint: String,
        files: Vec<PathBuf>,
    ) -> Result<Self, StartFailure> {
        let start_timeout = Duration::from_millis(config.start_timeout_ms);
        let mut first = Running::start(&launch).map_err(StartFailure::Spawn)?;
        let described = describe(&mut first, start_timeout)
            .map_err(|message| StartFailure::Describe { message, log: launch.stderr_log.clone() })?;
        let description = VendorDescription {
            name: described.name,
            version: described.version,
            score_min: described.score_min,
            score_max: described.score_max,
            score_meaning: described.score_meaning,
            thresholds: described.thresholds,
            template: described.template,
        };
        let mut slots: Vec<Mutex<Option<Running>>> = (0..config.processes).map(|_| Mutex::new(None)).collect();
        slots[0] = Mutex::new(Some(first));
        Ok(ProcessVendor {
            health: FaultShare::new(config.min_calls, config.max_failure_share),
            config,
            launch,
            description,
            fingerprint,
            files,
            slots,
            next_slot: AtomicUsize::new(0),
            restarts: Mutex::new(0),
        })
    }

    /// The underlying config (timeouts, processes, failure share).
    pub fn config(&self) -> &ProcessConfig {
        &self.config
    }

    pub fn from_file(path: &Path) -> Result<Self, VendorError> {
        Self::from_toml(&config::read(path)?, path)
    }

    /// Where the vendor's standard error goes.
    pub fn stderr_log(&self) -> &Path {
        &self.launch.stderr_log
    }

    /// Send one request to a free process (starting one if needed), read its reply and
    /// decode it; a fault that breaks the protocol kills the process.
    fn call<T>(
        &self,
        request: &str,
        decode: impl FnOnce(serde_json::Map<String, serde_json::Value>) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let n = self.slots.len();
        let first = self.next_slot.fetch_add(1, Ordering::Relaxed) % n;
        let mut guard = (0..n)
            .find_map(|k| self.slots[(first + k) % n].try_lock().ok())
            .unwrap_or_else(|| lock(&self.slots[first]));
        let running = match guard.take() {
            Some(running) => guard.insert(running),
            None => guard.insert(self.restart()?),
        };
        let outcome = running
            .exchange(request, Duration::from_millis(self.config.timeout_ms))
            .and_then(|line| wire::parse_reply(&line).map_err(|Malformed(m)| format!("malformed reply: {m}")));
        let result = match outcome {
            Ok(Ok(object)) => decode(object),
            Ok(Err((code, message))) => Err(Fault::Keep(code, message)),
            Err(message) => Err(Fault::Restart(message)),
        };
        if let Err(Fault::Restart(_)) = &result {
            // Kill it now, so that the next call starts a fresh one.
            running.graceful = false;
            *guard = None;
        }
        result
    }

    /// Start a replacement process and check it describes itself as the first did.
    fn restart(&self) -> Result<Running, Fault> {
        let restarts = {
            let mut r = lock(&self.restarts);
            *r += 1;
            *r
        };
        if restarts > self.config.max_restarts {
            let message = format!(
                "vendor `{}` was restarted more than max_restarts = {} times (stderr log: {})",
                self.description.name,
                self.config.max_restarts,
                self.launch.stderr_log.display()
            );
            self.health.declare(message.clone());
            return Err(Fault::Restart(message));
        }
        let mut running = Running::start(&self.launch).map_err(Fault::Restart)?;
        let d = describe(&mut running, Duration::from_millis(self.config.start_timeout_ms))
            .map_err(|e| Fault::Restart(format!("restarting the vendor: {e}")))?;
        let same = d.name == self.description.name
            && d.version == self.description.version
            && d.template == self.description.template
            && d.score_min == self.description.score_min
            && d.score_max == self.description.score_max;
        if !same {
            return Err(Fault::Restart("the restarted vendor describes itself differently from the first".into()));
        }
        Ok(running)
    }

    /// Count a call, and declare the vendor broken past the failure share.
    fn record(&self, fault: bool) {
        self.record_many(1, u64::from(fault));
    }

    /// Count `calls` calls of which `faults` were faults, then judge the failure share.
    fn record_many(&self, calls: u64, faults: u64) {
        self.health.record(calls, faults, |faults, calls| {
            format!(
                "vendor `{}` failed {faults} of its {calls} calls so far ({:.1}%; templates of an interrupted earlier attempt count), more than max_failure_share = {} \
                 (crashes, hangs or malformed replies; see the failure messages and the stderr log {})",
                self.description.name,
                100.0 * faults as f64 / calls as f64,
                self.config.max_failure_share,
                self.launch.stderr_log.display()
            )
        });
    }

    /// One call of another op (the `frte` adapter's `search`): send `request`, decode
    /// the `ok` reply's fields; a reply `decode` refuses is malformed (the process is
    /// restarted). Timeouts, restarts and the failure share are as for any call.
    pub(crate) fn call_json<T>(
        &self,
        request: String,
        decode: impl FnOnce(&serde_json::Map<String, serde_json::Value>) -> Result<T, String>,
    ) -> Result<T, TemplateFailure> {
        self.request(|| request, |reply| decode(&reply).map_err(|m| malformed(Malformed(m))))
    }

    /// One call end to end: refuse when broken, call, decode, count.
    fn request<T>(
        &self,
        request: impl FnOnce() -> String,
        decode: impl FnOnce(serde_json::Map<String, serde_json::Value>) -> Result<T, Fault>,
    ) -> Result<T, TemplateFailure> {
        if let Some(message) = self.health.fatal() {
            return Err(TemplateFailure { code: FailureCode::VendorError, message: format!("run stopped: {message}") });
        }
        let result = self.call(&request(), decode);
        let failure = match result {
            Ok(value) => {
                self.record(false);
                return Ok(value);
            }
            Err(Fault::Restart(message)) => TemplateFailure { code: FailureCode::VendorError, message },
            Err(Fault::Keep(code, message)) => TemplateFailure { code, message },
        };
        self.record(wire::is_fault(failure.code));
        Err(failure)
    }
}

fn describe(running: &mut Running, timeout: Duration) -> Result<DescribeReply, String> {
    let line = running.exchange(&wire::describe_request(), timeout)?;
    match wire::parse_reply(&line) {
        Ok(Ok(object)) => wire::parse_describe(object).map_err(|Malformed(m)| m),
        Ok(Err((_, message))) => Err(format!("describe failed: {message}")),
        Err(Malformed(m)) => Err(format!("malformed describe reply: {m}")),
    }
}

fn malformed(message: Malformed) -> Fault {
    Fault::Restart(format!("malformed reply: {}", message.0))
}

impl Drop for ProcessVendor {
    /// Stop every process, then let the log take the last of their standard error.
    fn drop(&mut self) {
        for slot in &self.slots {
            drop(lock(slot).take());
        }
        self.launch.log.finish();
    }
}

impl Vendor for ProcessVendor {
    fn describe(&self) -> VendorDescription {
        self.description.clone()
    }

    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        let dim = match self.description.template {
            TemplateFormat::Embedding { dim } => Some(dim),
            TemplateFormat::Opaque => None,
        };
        self.request(
            || wire::create_template_request(role.name(), media),
            |reply| {
                let text = wire::string_field(&reply, "template_b64").map_err(malformed)?;
                let bytes = wire::decode_base64(text).ok_or_else(|| {
                    Fault::Keep(FailureCode::TemplateFormatError, "template_b64 is not base64".into())
                })?;
                let template = Template(bytes);
                if let Some(dim) = dim {
                    template.embedding(dim).map_err(|f| Fault::Keep(f.code, f.message))?;
                }
                Ok(template)
            },
        )
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        self.request(
            || wire::compare_request(&probe.0, &reference.0),
            |reply| match reply.get("score").and_then(serde_json::Value::as_f64) {
                Some(score) if score.is_finite() => Ok(score),
                _ => Err(malformed(Malformed("compare reply has no finite `score`".into()))),
            },
        )
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn provenance_files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn resumed(&self, earlier: &[Option<FailureCode>]) {
        // Templates made before an interruption count as the calls that made them did.
        let faults = earlier.iter().filter(|c| c.is_some_and(wire::is_fault)).count() as u64;
        self.record_many(earlier.len() as u64, faults);
    }

    fn fatal(&self) -> Option<String> {
        self.health.fatal().cloned()
    }
}

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
