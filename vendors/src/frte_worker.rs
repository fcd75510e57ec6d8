//! The worker process of the `frte` adapter (docs/adapters.md, "frte").
//!
//! The `verity` binary runs this when started as `verity __frte-worker ...` (see
//! [`worker_entry`]); the adapter drives it through the `process` adapter's JSON-lines
//! protocol (docs/process-protocol.md), so timeouts, restarts and the failure share are
//! the `process` adapter's.
//!
//! As in NIST's own harness, vendor code runs in children forked after `initialize`:
//! this process opens the library (frte/shim.cpp), checks its API version, calls
//! `initialize(configDir)` once, and forks a *server* child that makes templates and
//! comparisons. The parent only decodes images and moves bytes, so when the library
//! crashes (a signal) or hangs (no answer within `timeout_ms`), the parent reports that
//! one call as failed, reaps or kills the child and forks a fresh one from the
//! initialised library. Standard output carries replies only: what the library prints
//! goes to standard error (the adapter's stderr log).
//!
//! A 1:N library (frte/shim1n.cpp) is driven the same way in the [`Mode`] the adapter
//! starts the worker in: templates of one role after `initializeTemplateCreation`,
//! searches (op `search`) after `initializeIdentification` on a finalised gallery, or one
//! `finalizeEnrollment` call whose outcome is the worker's one reply line.

use serde_json::{Value, json};
use std::ffi::{CStr, CString, OsString, c_char, c_int, c_void};
use std::io::{BufRead, Write};
use std::os::fd::FromRawFd;
use std::time::Duration;

/// The first argument that makes `verity` a worker.
pub const WORKER_ARG: &str = "__frte-worker";

/// The API version verity's declarations (frte/frte_api.h) are of.
pub const API_VERSION: (u16, u16) = (4, 0);
/// The version of the FRTE structures (`frvt_structs.h`) they are of.
pub const STRUCTS_MAJOR: u16 = 1;

unsafe extern "C" {
    fn verity_frte_open(path: *const c_char, error: *mut c_char, capacity: usize) -> *mut c_void;
    fn verity_frte_version(library: *mut c_void, which: c_int) -> c_int;
    fn verity_frte_initialize(library: *mut c_void, config_dir: *const c_char, info: *mut c_char, cap: usize) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn verity_frte_create_template(
        library: *mut c_void,
        width: u16,
        height: u16,
        depth: u8,
        label: u8,
        pixels: *const u8,
        role: c_int,
        out: *mut *mut u8,
        out_len: *mut usize,
        info: *mut c_char,
        cap: usize,
    ) -> c_int;
    #[allow(clippy::too_many_arguments)]
    fn verity_frte_match(
        library: *mut c_void,
        verif: *const u8,
        verif_len: usize,
        enrol: *const u8,
        enrol_len: usize,
        similarity: *mut f64,
        info: *mut c_char,
        cap: usize,
    ) -> c_int;
    fn verity_frte_free(buffer: *mut u8);

    fn verity_frte1n_open(path: *const c_char, error: *mut c_char, capacity: usize) -> *mut c_void;
    fn verity_frte1n_version(library: *mut c_void, which: c_int) -> c_int;
    fn verity_frte1n_make(library: *mut c_void, info: *mut c_char, cap: usize) -> c_int;
    fn verity_frte1n_init_templates(
        library: *mut c_void,
        config_dir: *const c_char,
        role: c_int,
        info: *mut c_char,
        cap: usize,
    ) -> c_int;
    fn verity_frte1n_finalize(
        library: *mut c_void,
        config_dir: *const c_char,
        enrollment_dir: *const c_char,
        edb: *const c_char,
        manifest: *const c_char,
        info: *mut c_char,
        cap: usize,
    ) -> c_int;
    fn verity_frte1n_init_identification(
        library: *mut c_void,
        config_dir: *const c_char,
        enrollment_dir: *const c_char,
        info: *mut c_char,
        cap: usize,
    ) -> c_int;
}

/// The FRTE 1:N API version verity's declarations (frte/frte1n_api.h) are of, and of
/// its structures.
pub const API_1N_VERSION: (u16, u16) = (3, 0);
pub const STRUCTS_1N_MAJOR: u16 = 3;

/// FRTE template roles.
const ENROLLMENT_11: u8 = 0;
const VERIFICATION_11: u8 = 1;
pub const ENROLLMENT_1N: u8 = 2;
pub const SEARCH_1N: u8 = 3;

const INFO_CAPACITY: usize = 4096;

/// The FRTE `ReturnCode` names, by value.
const RETURN_CODES: [&str; 18] = [
    "Success",
    "UnknownError",
    "ConfigError",
    "RefuseInput",
    "ExtractError",
    "ParseError",
    "TemplateCreationError",
    "VerifTemplateError",
    "FaceDetectionError",
    "NumDataError",
    "TemplateFormatError",
    "EnrollDirError",
    "InputLocationError",
    "MemoryError",
    "MatchError",
    "QualityAssessmentError",
    "NotImplemented",
    "VendorError",
];

/// The name of a returned code, and the `process` protocol status it is reported as
/// (docs/process-protocol.md, "Status codes").
pub fn return_code(code: i32) -> (String, &'static str) {
    let status = match code {
        2 => "config-error",
        3 => "refuse-input",
        4 => "extract-error",
        5 => "parse-error",
        6 => "template-creation-error",
        7 => "verif-template-error",
        8 => "face-detection-error",
        10 => "template-format-error",
        13 => "memory-error",
        14 => "match-error",
        15 => "quality-assessment-error",
        16 => "not-implemented",
        _ => "vendor-error",
    };
    let name = match code {
        -1 => "a C++ exception".to_string(),
        c => usize::try_from(c)
            .ok()
            .and_then(|i| RETURN_CODES.get(i))
            .map_or_else(|| format!("undefined ReturnCode {c}"), |n| n.to_string()),
    };
    (name, status)
}

/// The FRTE image labels, by value (the `image_label` key of the config).
pub const IMAGE_LABELS: [&str; 6] = ["unknown", "iso", "mugshot", "photojournalism", "exploitation", "wild"];

/// The FRTE 1:N `ImageDescription` of an image label (an index into [`IMAGE_LABELS`]);
/// `None` for a label the 1:N API has no description for.
pub fn description_1n(label: usize) -> Option<u8> {
    match label {
        0..=3 => Some(label as u8),
        5 => Some(4),
        _ => None,
    }
}

/// What a worker process does (argument 6; absent: `1:1`).
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// An FRTE 1:1 library: templates and comparisons.
    OneToOne,
    /// An FRTE 1:N library making templates of one role (`ENROLLMENT_1N` or
    /// `SEARCH_1N`), after `initializeTemplateCreation(configDir, role)`.
    Templates(u8),
    /// An FRTE 1:N library searching the gallery finalised in this folder, after
    /// `initializeIdentification(configDir, folder)`.
    Identify(String),
    /// One call of `finalizeEnrollment(configDir, folder, edb, manifest, Unconsolidated)`,
    /// its outcome written as one reply line; then the worker exits.
    Finalize { enrollment: String, edb: String, manifest: String },
}

impl Mode {
    /// The worker arguments that select this mode.
    pub fn args(&self) -> Vec<String> {
        match self {
            Mode::OneToOne => vec!["1:1".into()],
            Mode::Templates(ENROLLMENT_1N) => vec!["1:N-enrol".into()],
            Mode::Templates(_) => vec!["1:N-search".into()],
            Mode::Identify(dir) => vec!["1:N-identify".into(), dir.clone()],
            Mode::Finalize { enrollment, edb, manifest } => {
                vec!["1:N-finalize".into(), enrollment.clone(), edb.clone(), manifest.clone()]
            }
        }
    }
}

/// What the worker is started with (the adapter writes these arguments).
struct Args {
    library: String,
    config_dir: String,
    timeout: Duration,
    label: u8,
    describe: serde_json::Map<String, Value>,
    mode: Mode,
}

fn parse_args(args: &[OsString]) -> Result<Args, String> {
    let text = |i: usize| -> Result<String, String> {
        args.get(i)
            .and_then(|a| a.to_str())
            .map(str::to_string)
            .ok_or_else(|| format!("worker argument {i} is missing or not UTF-8"))
    };
    let timeout_ms: u64 = text(2)?.parse().map_err(|_| "timeout is not a number".to_string())?;
    let label: u8 = text(3)?.parse().map_err(|_| "image label is not a number".to_string())?;
    let describe = match serde_json::from_str(&text(4)?) {
        Ok(Value::Object(map)) => map,
        _ => return Err("the description argument is not a JSON object".into()),
    };
    let mode = match args.get(5).and_then(|a| a.to_str()) {
        None | Some("1:1") => Mode::OneToOne,
        Some("1:N-enrol") => Mode::Templates(ENROLLMENT_1N),
        Some("1:N-search") => Mode::Templates(SEARCH_1N),
        Some("1:N-identify") => Mode::Identify(text(6)?),
        Some("1:N-finalize") => Mode::Finalize { enrollment: text(6)?, edb: text(7)?, manifest: text(8)? },
        Some(other) => return Err(format!("unknown worker mode `{other}`")),
    };
    Ok(Args {
        library: text(0)?,
        config_dir: text(1)?,
        timeout: Duration::from_millis(timeout_ms),
        label,
        describe,
        mode,
    })
}

/// The library, opened and initialised; `one_to_n` for a 1:N library (frte/shim1n.cpp).
struct Library {
    handle: *mut c_void,
    one_to_n: bool,
}

fn info_text(buffer: &[u8]) -> String {
    CStr::from_bytes_until_nul(buffer).map(|c| c.to_string_lossy().into_owned()).unwrap_or_default()
}

fn c_string(text: &str, what: &str) -> Result<CString, String> {
    CString::new(text).map_err(|_| format!("{what} contains a NUL byte"))
}

/// What verity knows of one FRTE API: its declarations' versions, and the shim's calls
/// that open a library of it and read its version numbers.
struct Api {
    label: &'static str,
    namespace: &'static str,
    version: (u16, u16),
    structs_major: u16,
    open: unsafe extern "C" fn(*const c_char, *mut c_char, usize) -> *mut c_void,
    version_of: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
}

const API_11: Api = Api {
    label: "1:1",
    namespace: "FRVT_11",
    version: API_VERSION,
    structs_major: STRUCTS_MAJOR,
    open: verity_frte_open,
    version_of: verity_frte_version,
};

const API_1N: Api = Api {
    label: "1:N",
    namespace: "FRVT_1N",
    version: API_1N_VERSION,
    structs_major: STRUCTS_1N_MAJOR,
    open: verity_frte1n_open,
    version_of: verity_frte1n_version,
};

/// Open the library and check that it exports the version numbers of `api`'s major
/// versions. The error starts with the config key it is about.
fn load(args: &Args, api: &Api) -> Result<*mut c_void, String> {
    let path = c_string(&args.library, "library: the path")?;
    let mut error = vec![0u8; INFO_CAPACITY];
    // SAFETY: `path` is NUL-terminated; `error` has INFO_CAPACITY writable bytes.
    let handle = unsafe { (api.open)(path.as_ptr(), error.as_mut_ptr().cast(), error.len()) };
    if handle.is_null() {
        return Err(format!("library: cannot load {}: {}", args.library, info_text(&error)));
    }
    // SAFETY: `handle` came from the same shim's open; `which` is 0..=3.
    let version = |which: c_int| unsafe { (api.version_of)(handle, which) };
    let ns = api.namespace;
    let names = [
        format!("{ns}::API_MAJOR_VERSION"),
        format!("{ns}::API_MINOR_VERSION"),
        "FRVT::FRVT_STRUCTS_MAJOR_VERSION".into(),
    ];
    let found: Vec<c_int> = (0..3).map(version).collect();
    if let Some(i) = found.iter().position(|v| *v < 0) {
        return Err(format!(
            "library: {} does not export {}, which the FRTE API asks every library to compile in; \
             without it verity cannot check the API version it was built for",
            args.library, names[i]
        ));
    }
    let ((major, minor), structs) = (api.version, api.structs_major);
    if found[0] != i32::from(major) || found[2] != i32::from(structs) {
        return Err(format!(
            "library: {} was built for FRTE {} API {}.{} with structures {}.x; verity drives API {major}.{minor} \
             with structures {structs}.x (the layouts differ between major versions)",
            args.library, api.label, found[0], found[1], found[2]
        ));
    }
    Ok(handle)
}

/// The text of an initialisation call that did not return `Success`.
fn refused(call: String, code: c_int, info: &[u8]) -> String {
    let (name, _) = return_code(code);
    let info = info_text(info);
    format!("{call} returned {name}{}", if info.is_empty() { String::new() } else { format!(": {info}") })
}

/// Open a 1:N library, check its versions and make its implementation, then do what the
/// mode asks first (`initializeTemplateCreation`, `initializeIdentification`). The
/// error starts with the config key it is about.
fn open_1n(args: &Args) -> Result<Library, String> {
    let handle = load(args, &API_1N)?;
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: `handle` came from `load`; `info` has INFO_CAPACITY bytes.
    let code = unsafe { verity_frte1n_make(handle, info.as_mut_ptr().cast(), info.len()) };
    if code != 0 {
        return Err(format!("library: getImplementation() failed: {}", info_text(&info)));
    }
    let dir = c_string(&args.config_dir, "config_dir: the path")?;
    match &args.mode {
        Mode::Templates(role) => {
            // SAFETY: as above; `dir` is NUL-terminated.
            let code = unsafe {
                verity_frte1n_init_templates(
                    handle,
                    dir.as_ptr(),
                    c_int::from(*role),
                    info.as_mut_ptr().cast(),
                    info.len(),
                )
            };
            if code != 0 {
                let role = if *role == ENROLLMENT_1N { "Enrollment_1N" } else { "Search_1N" };
                let call = format!("initializeTemplateCreation(\"{}\", {role})", args.config_dir);
                return Err(format!("config_dir: {}", refused(call, code, &info)));
            }
        }
        Mode::Identify(enrollment) => {
            let folder = c_string(enrollment, "the enrolment folder")?;
            // SAFETY: as above; both paths are NUL-terminated.
            let code = unsafe {
                verity_frte1n_init_identification(
                    handle,
                    dir.as_ptr(),
                    folder.as_ptr(),
                    info.as_mut_ptr().cast(),
                    info.len(),
                )
            };
            if code != 0 {
                let call = format!("initializeIdentification(\"{}\", \"{enrollment}\")", args.config_dir);
                return Err(format!("gallery: {}", refused(call, code, &info)));
            }
        }
        Mode::OneToOne | Mode::Finalize { .. } => {}
    }
    Ok(Library { handle, one_to_n: true })
}

/// `finalizeEnrollment` on an opened 1:N library: the reply line of the one call.
fn finalize(library: &Library, args: &Args) -> Value {
    let Mode::Finalize { enrollment, edb, manifest } = &args.mode else {
        return failure("vendor-error", "not a finalize worker");
    };
    let paths = [&args.config_dir, enrollment, edb, manifest].map(|p| c_string(p, "a path"));
    let [Ok(config), Ok(enrollment_c), Ok(edb), Ok(manifest)] = paths else {
        return failure("vendor-error", "a gallery path contains a NUL byte");
    };
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: every path is NUL-terminated; `info` has INFO_CAPACITY bytes.
    let code = unsafe {
        verity_frte1n_finalize(
            library.handle,
            config.as_ptr(),
            enrollment_c.as_ptr(),
            edb.as_ptr(),
            manifest.as_ptr(),
            info.as_mut_ptr().cast(),
            info.len(),
        )
    };
    if code == 0 { json!({ "status": "ok" }) } else { returned("finalizeEnrollment", code, &info_text(&info)) }
}

/// Open, check versions, initialise. The error starts with the config key it is about.
fn open(args: &Args) -> Result<Library, String> {
    if args.mode != Mode::OneToOne {
        return open_1n(args);
    }
    let handle = load(args, &API_11)?;
    let dir = c_string(&args.config_dir, "config_dir: the path")?;
    let mut info = vec![0u8; INFO_CAPACITY];
    // SAFETY: `handle` came from `load`; `dir` is NUL-terminated; `info` has INFO_CAPACITY bytes.
    let code = unsafe { verity_frte_initialize(handle, dir.as_ptr(), info.as_mut_ptr().cast(), info.len()) };
    if code != 0 {
        let (name, _) = return_code(code);
        let info = info_text(&info);
        return Err(format!(
            "config_dir: initialize(\"{}\") returned {name}{}",
            args.config_dir,
            if info.is_empty() { String::new() } else { format!(": {info}") }
        ));
    }
    Ok(Library { handle, one_to_n: false })
}

mod server;

use server::{Lost, OP_CREATE, OP_IDENTIFY, OP_MATCH, Server, fork_server};

// ---- the parent: JSON lines in, JSON lines out ----------------------------------------

fn failure(status: &str, message: impl Into<String>) -> Value {
    json!({ "status": status, "message": message.into() })
}

/// Decode media bytes to FRTE pixels: (width, height, depth, pixels).
fn pixels(media: &[u8]) -> Result<(u16, u16, u8, Vec<u8>), Value> {
    let decoded = std::panic::catch_unwind(|| image::load_from_memory(media));
    let image = match decoded {
        Ok(Ok(image)) => image,
        Ok(Err(e)) => return Err(failure("parse-error", format!("the media is not an image verity can decode: {e}"))),
        Err(_) => return Err(failure("parse-error", "the media could not be decoded (the image decoder failed)")),
    };
    let (w, h) = (image.width(), image.height());
    let (Ok(width), Ok(height)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(failure(
            "parse-error",
            format!("the image is {w}×{h} pixels; an FRTE Image holds at most 65535 pixels a side"),
        ));
    };
    Ok(match image {
        image::DynamicImage::ImageLuma8(gray) => (width, height, 8, gray.into_raw()),
        other => (width, height, 24, other.to_rgb8().into_raw()),
    })
}

struct Worker {
    library: Library,
    args: Args,
    server: Option<Server>,
}

impl Worker {
    /// One call into the library through the server child.
    fn call(&mut self, function: &str, op: u8, payload: &[u8]) -> Result<(i32, String, Vec<u8>), Value> {
        let server = match self.server.take() {
            Some(server) => server,
            None => fork_server(&self.library).map_err(|e| failure("vendor-error", e))?,
        };
        match server.call(op, payload, self.args.timeout) {
            Ok(reply) => {
                self.server = Some(server);
                Ok(reply)
            }
            Err(Lost::Hung) => {
                server.end(true);
                Err(failure(
                    "vendor-error",
                    format!(
                        "the FRTE library did not return from {function} within {} ms (hang; its process was killed \
                         and forked again from the initialised library)",
                        self.args.timeout.as_millis()
                    ),
                ))
            }
            Err(Lost::Crashed(detail)) => {
                let how = server.end(false);
                Err(failure(
                    "vendor-error",
                    format!(
                        "the FRTE library crashed in {function} ({how}{}; its process was forked again from the \
                         initialised library)",
                        if detail.is_empty() { String::new() } else { format!(", {detail}") }
                    ),
                ))
            }
        }
    }

    fn create_template(&mut self, request: &serde_json::Map<String, Value>) -> Value {
        let asked = request.get("role").and_then(Value::as_str);
        let role = match (&self.args.mode, asked) {
            (Mode::OneToOne, Some("enrol")) => ENROLLMENT_11,
            (Mode::OneToOne, Some("verify") | Some("search")) => VERIFICATION_11,
            (Mode::Templates(ENROLLMENT_1N), Some("enrol")) => ENROLLMENT_1N,
            (Mode::Templates(SEARCH_1N), Some("search")) => SEARCH_1N,
            (Mode::Templates(_), Some(role)) => {
                return failure("vendor-error", format!("this 1:N worker does not make `{role}` templates"));
            }
            (Mode::Identify(_) | Mode::Finalize { .. }, _) => {
                return failure("vendor-error", "an identification worker makes no templates");
            }
            _ => return failure("vendor-error", "create_template request has no known `role`"),
        };
        // The 1:1 API's image labels, or the 1:N API's image descriptions.
        let label = if self.library.one_to_n {
            description_1n(usize::from(self.args.label)).unwrap_or(0)
        } else {
            self.args.label
        };
        let Some(media) = request.get("media_b64").and_then(Value::as_str).and_then(crate::process_wire::decode_base64)
        else {
            return failure("vendor-error", "create_template request has no base64 `media_b64`");
        };
        let (width, height, depth, pixels) = match pixels(&media) {
            Ok(p) => p,
            Err(reply) => return reply,
        };
        let mut payload = Vec::with_capacity(7 + pixels.len());
        payload.extend_from_slice(&[role, label, depth]);
        payload.extend_from_slice(&width.to_le_bytes());
        payload.extend_from_slice(&height.to_le_bytes());
        payload.extend_from_slice(&pixels);
        let function = if self.library.one_to_n { "createFaceTemplate" } else { "createTemplate" };
        match self.call(function, OP_CREATE, &payload) {
            Ok((0, _, template)) => {
                json!({ "status": "ok", "template_b64": crate::process_wire::encode_base64(&template) })
            }
            Ok((code, info, _)) => returned(function, code, &info),
            Err(reply) => reply,
        }
    }

    /// `identifyTemplate` (an identification worker): the assigned candidates, as the
    /// library ordered them.
    fn search(&mut self, request: &serde_json::Map<String, Value>) -> Value {
        if !matches!(self.args.mode, Mode::Identify(_)) {
            return failure("vendor-error", "only an identification worker searches");
        }
        let template = request.get("template_b64").and_then(Value::as_str).and_then(crate::process_wire::decode_base64);
        let wanted = request.get("candidates").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
        let (Some(template), Some(wanted)) = (template, wanted) else {
            return failure("vendor-error", "search request lacks base64 `template_b64` or a count `candidates`");
        };
        let mut payload = Vec::with_capacity(4 + template.len());
        payload.extend_from_slice(&wanted.to_le_bytes());
        payload.extend_from_slice(&template);
        match self.call("identifyTemplate", OP_IDENTIFY, &payload) {
            Ok((0, _, data)) => match server::candidates(&data) {
                Some(list) => {
                    let list: Vec<Value> = list
                        .into_iter()
                        .filter(|c| c.0)
                        .map(|(_, id, score)| json!({ "id": id, "score": score }))
                        .collect();
                    json!({ "status": "ok", "candidates": list })
                }
                None => failure("vendor-error", "the candidate list could not be read back"),
            },
            Ok((code, info, _)) => returned("identifyTemplate", code, &info),
            Err(reply) => reply,
        }
    }

    fn compare(&mut self, request: &serde_json::Map<String, Value>) -> Value {
        if self.library.one_to_n {
            return failure("not-implemented", "an FRTE 1:N library has no matchTemplates");
        }
        let field = |key: &str| request.get(key).and_then(Value::as_str).and_then(crate::process_wire::decode_base64);
        let (Some(probe), Some(reference)) = (field("probe_b64"), field("reference_b64")) else {
            return failure("vendor-error", "compare request lacks base64 `probe_b64` or `reference_b64`");
        };
        let mut payload = Vec::with_capacity(4 + probe.len() + reference.len());
        payload.extend_from_slice(&(probe.len() as u32).to_le_bytes());
        payload.extend_from_slice(&probe);
        payload.extend_from_slice(&reference);
        match self.call("matchTemplates", OP_MATCH, &payload) {
            Ok((0, _, data)) if data.len() == 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data);
                let score = f64::from_le_bytes(b);
                if score.is_finite() {
                    json!({ "status": "ok", "score": score })
                } else {
                    failure("vendor-error", format!("matchTemplates returned Success with similarity {score}"))
                }
            }
            Ok((code, info, _)) => returned("matchTemplates", code, &info),
            Err(reply) => reply,
        }
    }
}

/// A failure the library returned.
fn returned(function: &str, code: i32, info: &str) -> Value {
    let (name, status) = return_code(code);
    let info = if info.is_empty() { String::new() } else { format!(": {info}") };
    failure(status, format!("{function} returned {name}{info}"))
}

/// Run the worker: `args` are those after [`WORKER_ARG`]. Returns the exit status.
pub fn run_worker(args: &[OsString]) -> i32 {
    // Replies go to the real standard output; anything else written there (by the
    // library) goes to standard error, where it cannot break the protocol.
    // SAFETY: duplicating this process's own standard descriptors.
    let reply_fd = unsafe { libc::dup(1) };
    // SAFETY: as above.
    if reply_fd < 0 || unsafe { libc::dup2(2, 1) } < 0 {
        return 1;
    }
    // SAFETY: `reply_fd` is ours and used only here.
    let mut replies = std::io::BufWriter::new(unsafe { std::fs::File::from_raw_fd(reply_fd) });
    let setup = parse_args(args).and_then(|args| open(&args).map(|library| (library, args)));
    // A finalize worker makes its one call and exits: vendor code runs in this process,
    // which is itself the adapter's disposable child.
    if let Ok((library, args @ Args { mode: Mode::Finalize { .. }, .. })) = &setup {
        let reply = finalize(library, args);
        return i32::from(writeln!(replies, "{reply}").and_then(|_| replies.flush()).is_err());
    }
    if let Err(message) = &setup
        && parse_args(args).is_ok_and(|a| matches!(a.mode, Mode::Finalize { .. }))
    {
        let reply = failure("config-error", message.clone());
        return i32::from(writeln!(replies, "{reply}").and_then(|_| replies.flush()).is_err());
    }
    let mut worker = match setup {
        Ok((library, args)) => Ok(Worker { library, args, server: None }),
        Err(message) => Err(message),
    };
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let request = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(map)) => map,
            _ => {
                let reply = failure("vendor-error", "request is not a JSON object");
                if writeln!(replies, "{reply}").and_then(|_| replies.flush()).is_err() {
                    break;
                }
                continue;
            }
        };
        let op = request.get("op").and_then(Value::as_str).unwrap_or("");
        let reply = match (&mut worker, op) {
            (Err(message), _) => failure("config-error", message.clone()),
            (Ok(w), "describe") => {
                let mut reply = w.args.describe.clone();
                reply.insert("status".into(), json!("ok"));
                Value::Object(reply)
            }
            (Ok(w), "create_template") => w.create_template(&request),
            (Ok(w), "compare") => w.compare(&request),
            (Ok(w), "search") => w.search(&request),
            (Ok(_), other) => failure("vendor-error", format!("unknown op `{other}`")),
        };
        if writeln!(replies, "{reply}").and_then(|_| replies.flush()).is_err() {
            break;
        }
    }
    if let Ok(Worker { server: Some(server), .. }) = worker {
        server.end(false);
    }
    0
}

/// Call first thing in `main` of a binary that runs `frte` vendors: when the process was
/// started as a worker, run it and exit; otherwise return at once.
pub fn worker_entry() {
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| a == WORKER_ARG) {
        let rest: Vec<OsString> = args.collect();
        std::process::exit(run_worker(&rest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_codes_map_to_the_process_statuses() {
        use crate::process_wire::failure_code;
        use harness::vendor::FailureCode;
        let cases = [
            (8, "FaceDetectionError", FailureCode::FaceDetectionError),
            (4, "ExtractError", FailureCode::FeatureExtractionError),
            (6, "TemplateCreationError", FailureCode::FeatureExtractionError),
            (15, "QualityAssessmentError", FailureCode::FeatureExtractionError),
            (3, "RefuseInput", FailureCode::ParseError),
            (5, "ParseError", FailureCode::ParseError),
            (7, "VerifTemplateError", FailureCode::TemplateFormatError),
            (10, "TemplateFormatError", FailureCode::TemplateFormatError),
            (1, "UnknownError", FailureCode::VendorError),
            (9, "NumDataError", FailureCode::VendorError),
            (13, "MemoryError", FailureCode::VendorError),
            (17, "VendorError", FailureCode::VendorError),
        ];
        for (code, name, failure) in cases {
            let (n, status) = return_code(code);
            assert_eq!(n, name);
            assert_eq!(failure_code(status), (failure, true), "{name}");
        }
        assert_eq!(return_code(-1).0, "a C++ exception");
        assert_eq!(return_code(99), ("undefined ReturnCode 99".to_string(), "vendor-error"));
    }

    #[test]
    fn media_become_frte_pixels() {
        let mut png = Vec::new();
        let gray = image::GrayImage::from_raw(3, 2, vec![1, 2, 3, 4, 5, 6]).unwrap();
        gray.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(pixels(&png).unwrap(), (3, 2, 8, vec![1, 2, 3, 4, 5, 6]));
        let rgb = image::RgbImage::from_raw(1, 1, vec![9, 8, 7]).unwrap();
        let mut png = Vec::new();
        rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(pixels(&png).unwrap(), (1, 1, 24, vec![9, 8, 7]));
        let bad = pixels(b"face/v1 identity=00").unwrap_err();
        assert_eq!(bad["status"], "parse-error");
    }
}
