//! The `http` vendor: a vendor's face-recognition service called over HTTP(S)
//! (docs/adapters.md, "http").
//!
//! ```toml
//! kind = "http"
//! name = "acme-cloud"
//! version = "2.1"
//! base_url = "https://fr.acme.example/api/v1/"
//! score_min = 0.0
//! score_max = 1.0
//! auth_header = "Authorization"     # sent with every call ...
//! auth_env = "ACME_API_KEY"         # ... with the value of this environment variable
//! timeout_ms = 30000                # per attempt
//! retries = 2                       # more attempts after a 5xx, 429, timeout or lost connection
//! backoff_ms = 500                  # before the first retry; doubled for each further one, or
//!                                   # the reply's Retry-After (seconds or an HTTP date, at
//!                                   # most 60 s) when longer
//! concurrency = 4                   # calls in flight at most
//! # ca_file = "acme-ca.pem"         # extra root certificates (an internal CA)
//! # dim = 512                       # templates are embeddings of this many numbers
//!
//! [create_template]
//! path = "templates"                # joined to base_url
//! request = "json"                  # {"<media_field>": base64 media, "<role_field>": role}; or "multipart"
//! media_field = "image"
//! role_field = "role"
//! template_field = "template"       # in the reply: base64 bytes, or an array of numbers with `dim`
//! failure_field = "error.code"      # in a failure reply: the service's failure code ...
//! failure_codes = { NO_FACE = "face-detection-error", BAD_IMAGE = "parse-error" }  # ... as verity's
//!
//! [compare]                         # needed unless templates are embeddings (`dim`)
//! path = "compare"
//! probe_field = "probe"             # base64 templates in the request
//! reference_field = "reference"
//! score_field = "score"
//!
//! [search]                          # optional: the service's own 1:N search
//! enrol_path = "galleries"          # {"gallery": name, "templates": [{"id": "0", "template": ...}, ...]}
//! search_path = "search"            # {"gallery": name, "probe": ..., "max_candidates": n}
//!                                   #   -> {"candidates": [{"id": "3", "score": 0.91}, ...]}
//! delete_path = "galleries/delete"  # optional: {"gallery": name} once verity is done with it
//! ```
//!
//! With `[search]`, 1:N protocols use the service's search (docs/runner.md, "Native
//! search"): each gallery is enrolled under a fresh name, with ids that are positions in
//! a shuffled order; templates travel as the service gave them (base64, or numbers with
//! `dim`). The field names are keys of `[search]` too (`gallery_field`,
//! `templates_field`, `id_field`, `template_field`, `probe_field`, `count_field`,
//! `candidates_field`, `score_field`), each defaulting to the name shown.
//!
//! Field names may be dotted paths into nested JSON (`result.template`). A call that
//! gets no usable reply costs that one template or comparison: after the retries, a 5xx,
//! timeout or lost connection is a `vendor-error` with the last reason; a 4xx is a
//! counted failure with the service's message, its code taken from `failure_codes` when
//! the reply names one (a service saying "no face" is a failure to acquire, not a
//! fault); a reply without the declared field, or not JSON, is a `vendor-error`. Past
//! `max_failure_share` faults the run stops, as with the `process` adapter.
//!
//! The credential is read from the environment when the vendor is loaded and sent only
//! in the header: it is never in the config, the fingerprint, the results or any message.
//! Blinding: a request carries the media bytes and the template role, nothing else.

use crate::VendorError;
use crate::config::{self, ConfigText, ThresholdEntry};
use crate::health::FaultShare;
use crate::process_wire as wire;
use harness::vendor::{
    DeclaredThreshold, FailureCode, Role, Template, TemplateFailure, TemplateFormat, Vendor, VendorDescription,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How the media go to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestShape {
    /// A JSON object with the media in base64.
    Json,
    /// multipart/form-data with the media as a file part.
    Multipart,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    pub path: String,
    #[serde(default = "default_request")]
    pub request: RequestShape,
    #[serde(default = "default_media_field")]
    pub media_field: String,
    pub role_field: Option<String>,
    #[serde(default = "default_template_field")]
    pub template_field: String,
    pub failure_field: Option<String>,
    #[serde(default)]
    pub failure_codes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareEndpoint {
    pub path: String,
    #[serde(default = "default_probe_field")]
    pub probe_field: String,
    #[serde(default = "default_reference_field")]
    pub reference_field: String,
    #[serde(default = "default_score_field")]
    pub score_field: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchEndpoints {
    pub enrol_path: String,
    pub search_path: String,
    pub delete_path: Option<String>,
    #[serde(default = "default_gallery_field")]
    pub gallery_field: String,
    #[serde(default = "default_templates_field")]
    pub templates_field: String,
    #[serde(default = "default_id_field")]
    pub id_field: String,
    #[serde(default = "default_template_field")]
    pub template_field: String,
    #[serde(default = "default_probe_field")]
    pub probe_field: String,
    #[serde(default = "default_count_field")]
    pub count_field: String,
    #[serde(default = "default_candidates_field")]
    pub candidates_field: String,
    #[serde(default = "default_score_field")]
    pub score_field: String,
}

fn default_gallery_field() -> String {
    "gallery".into()
}
fn default_templates_field() -> String {
    "templates".into()
}
fn default_id_field() -> String {
    "id".into()
}
fn default_count_field() -> String {
    "max_candidates".into()
}
fn default_candidates_field() -> String {
    "candidates".into()
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub kind: String,
    pub name: String,
    pub version: String,
    pub base_url: String,
    pub score_min: f64,
    pub score_max: f64,
    pub score_meaning: Option<String>,
    #[serde(default)]
    pub thresholds: Vec<ThresholdEntry>,
    pub dim: Option<usize>,
    pub auth_header: Option<String>,
    pub auth_env: Option<String>,
    pub ca_file: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_max_failure_share")]
    pub max_failure_share: f64,
    #[serde(default = "default_min_calls")]
    pub min_calls: u64,
    pub create_template: CreateEndpoint,
    pub compare: Option<CompareEndpoint>,
    pub search: Option<SearchEndpoints>,
}

fn default_request() -> RequestShape {
    RequestShape::Json
}
fn default_media_field() -> String {
    "image".into()
}
fn default_template_field() -> String {
    "template".into()
}
fn default_probe_field() -> String {
    "probe".into()
}
fn default_reference_field() -> String {
    "reference".into()
}
fn default_score_field() -> String {
    "score".into()
}
fn default_timeout_ms() -> u64 {
    30_000
}
fn default_retries() -> u32 {
    2
}
fn default_backoff_ms() -> u64 {
    500
}
fn default_concurrency() -> usize {
    4
}
fn default_max_failure_share() -> f64 {
    0.05
}
fn default_min_calls() -> u64 {
    20
}

/// A counting semaphore: at most `limit` calls in flight.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn take(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

struct SlotGuard<'a>(&'a Slots);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

pub struct HttpVendor {
    config: HttpConfig,
    agent: ureq::Agent,
    /// The endpoints, joined to the base URL.
    create_url: String,
    compare_url: Option<String>,
    /// (header name, value); the value comes from the environment.
    auth: Option<(String, String)>,
    description: VendorDescription,
    fingerprint: String,
    files: Vec<PathBuf>,
    slots: Slots,
    health: FaultShare,
    /// The search endpoints joined to the base URL: enrol, search, delete.
    search_urls: Option<(String, String, Option<String>)>,
    /// Galleries enrolled so far by this process, for fresh names.
    galleries: std::sync::atomic::AtomicU64,
}

/// How one call ended without a usable reply.
enum Fault {
    /// Worth another attempt: a 5xx or 429, a timeout, a lost connection.
    Transient(String),
    /// Final: a failure with its code.
    Final(FailureCode, String),
}

/// Join an endpoint path to the base URL (which ends in `/` or gets one).
fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    if path.is_empty() { base.to_string() } else { format!("{base}/{path}") }
}

/// The seconds a `Retry-After` value asks to wait: whole seconds, or an HTTP date
/// (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) measured from `now` (a
/// date already past asks for none). It only times a retry; no result depends on it.
fn retry_after_seconds(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let (_, date) = value.split_once(", ")?;
    let parts: Vec<&str> = date.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts[..] else { return None };
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time.split(':').map(|t| t.parse().ok()).collect::<Option<_>>()?;
    let [h, m, sec] = hms[..] else { return None };
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let at = (era * 146_097 + doe - 719_468) * 86_400 + h * 3600 + m * 60 + sec;
    let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(at.saturating_sub(now).max(0) as u64)
}

/// A value at a dotted path in a JSON object.
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Set a value at a dotted path, making the objects on the way.
fn put(object: &mut Value, path: &str, value: Value) {
    let mut current = object;
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        if !current.get(*key).is_some_and(Value::is_object) {
            current[*key] = json!({});
        }
        current = &mut current[*key];
    }
    current[keys[keys.len() - 1]] = value;
}

/// The first characters of a reply body, for a message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let short: String = text.chars().take(300).collect();
    if short.len() < text.len() { format!("{short}...") } else { short }
}

fn multipart(boundary: &str, media_field: &str, media: &[u8], role: Option<(&str, &str)>) -> Vec<u8> {
    let mut body = Vec::with_capacity(media.len() + 400);
    if let Some((field, role)) = role {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{role}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{media_field}\"; filename=\"media\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(media);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

impl HttpVendor {
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, VendorError> {
        let file = ConfigText::new(path, text);
        let config: HttpConfig = file.parse()?;
        if config.kind != "http" {
            return Err(file.error_at_key(&["kind"], format!("expected `http`, found `{}`", config.kind)));
        }
        let url = config.base_url.trim();
        let scheme_ok = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
        if scheme_ok.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
            return Err(
                file.error_at_key(&["base_url"], format!("`{url}` is not an http:// or https:// URL with a host"))
            );
        }
        if url.chars().any(char::is_whitespace) {
            return Err(file.error_at_key(&["base_url"], format!("`{url}` contains white space")));
        }
        if !(config.score_min.is_finite() && config.score_max.is_finite() && config.score_min < config.score_max) {
            return Err(file.error_at_key(
                &["score_max"],
                format!("score range {}..{} is not a range", config.score_min, config.score_max),
            ));
        }
        config::check_thresholds(&file, &config.thresholds, (config.score_min, config.score_max))?;
        if config.timeout_ms == 0 {
            return Err(file.error_at_key(&["timeout_ms"], "timeout_ms must be at least 1"));
        }
        if config.concurrency == 0 {
            return Err(file.error_at_key(&["concurrency"], "concurrency must be at least 1"));
        }
        if config.retries > 10 {
            return Err(file.error_at_key(&["retries"], "retries must be at most 10"));
        }
        if !(config.max_failure_share >= 0.0 && config.max_failure_share < 1.0) {
            return Err(file.error_at_key(&["max_failure_share"], "max_failure_share must be in 0..1"));
        }
        if config.dim == Some(0) {
            return Err(file.error_at_key(&["dim"], "dim must be at least 1"));
        }
        if config.dim.is_none() && config.compare.is_none() {
            return Err(file.error(
                None,
                "compare",
                "templates are opaque (no `dim`), so a [compare] endpoint is needed to compare them",
            ));
        }
        for (code, status) in &config.create_template.failure_codes {
            if !wire::failure_code(status).1 {
                return Err(file.error_at_key(
                    &["create_template", "failure_codes", code],
                    format!("`{status}` is not a status verity knows (docs/process-protocol.md, \"Status codes\")"),
                ));
            }
        }
        let auth = match (&config.auth_header, &config.auth_env) {
            (None, None) => None,
            (Some(header), Some(var)) => {
                let value = std::env::var(var).map_err(|_| {
                    file.error_at_key(&["auth_env"], format!("the environment variable {var} is not set"))
                })?;
                if ureq::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                    return Err(file.error_at_key(&["auth_header"], format!("`{header}` is not a header name")));
                }
                if ureq::http::HeaderValue::from_str(&value).is_err() {
                    return Err(file.error_at_key(
                        &["auth_env"],
                        format!("the value of {var} cannot be sent in a header (control characters)"),
                    ));
                }
                Some((header.clone(), value))
            }
            (Some(_), None) => return Err(file.error_at_key(&["auth_header"], "auth_header needs auth_env")),
            (None, Some(_)) => return Err(file.error_at_key(&["auth_env"], "auth_env needs auth_header")),
        };

        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tls = ureq::tls::TlsConfig::builder();
        let mut files = Vec::new();
        let mut parts = vec![format!("config {}", config::fingerprint("http", text))];
        if let Some(ca) = &config.ca_file {
            let ca_path = base.join(ca);
            let pem = std::fs::read(&ca_path)
                .map_err(|e| file.error_at_key(&["ca_file"], format!("cannot read {}: {e}", ca_path.display())))?;
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(&pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(file.error_at_key(&["ca_file"], format!("{} is not PEM: {e}", ca_path.display())));
                    }
                }
            }
            if certs.is_empty() {
                return Err(file.error_at_key(&["ca_file"], format!("{} holds no certificate", ca_path.display())));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
            parts.push(format!("ca_file {}", config::fingerprint("pem", &String::from_utf8_lossy(&pem))));
            files.push(ca_path);
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(config.timeout_ms)))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(format!("verity/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .into();
        let description = VendorDescription {
            name: config.name.clone(),
            version: config.version.clone(),
            score_min: config.score_min,
            score_max: config.score_max,
            score_meaning: config.score_meaning.clone().unwrap_or_else(|| match config.dim {
                Some(_) => "cosine similarity of the service's embeddings".into(),
                None => "similarity from the service's compare endpoint (higher means more alike)".into(),
            }),
            thresholds: config
                .thresholds
                .iter()
                .map(|t| DeclaredThreshold { label: t.label.clone(), value: t.value })
                .collect(),
            template: match config.dim {
                Some(dim) => TemplateFormat::Embedding { dim },
                None => TemplateFormat::Opaque,
            },
        };
        Ok(HttpVendor {
            create_url: join(url, &config.create_template.path),
            compare_url: config.compare.as_ref().map(|c| join(url, &c.path)),
            auth,
            agent,
            description,
            fingerprint: config::fingerprint("http", &parts.join("\n")),
            files,
            slots: Slots { free: Mutex::new(config.concurrency), freed: Condvar::new() },
            health: FaultShare::new(config.min_calls, config.max_failure_share),
            search_urls: config.search.as_ref().map(|e| {
                (join(url, &e.enrol_path), join(url, &e.search_path), e.delete_path.as_ref().map(|p| join(url, p)))
            }),
            galleries: std::sync::atomic::AtomicU64::new(0),
            config,
        })
    }

    /// One attempt: POST `body`; the status, the reply body and the `Retry-After` the
    /// service asked for, in whole seconds.
    fn post_once(&self, url: &str, content_type: &str, body: &[u8]) -> Result<(u16, Vec<u8>, Option<u64>), Fault> {
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        if let Some((name, value)) = &self.auth {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request.send(body).map_err(|e| match e {
            ureq::Error::Timeout(_) => {
                Fault::Transient(format!("no reply within {} ms (timeout)", self.config.timeout_ms))
            }
            // Data the connection refused (a TLS certificate or protocol error): another
            // attempt would meet the same.
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Fault::Final(FailureCode::VendorError, format!("connection refused the service's data: {e}"))
            }
            ureq::Error::Io(e) => Fault::Transient(format!("connection failed: {e}")),
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => Fault::Transient(format!("{e}")),
            ureq::Error::Protocol(e) => Fault::Final(FailureCode::VendorError, format!("malformed HTTP reply: {e}")),
            other => Fault::Final(FailureCode::VendorError, format!("request failed: {other}")),
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_seconds(v, std::time::SystemTime::now()));
        let bytes = response.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| match e {
            ureq::Error::Timeout(_) => {
                Fault::Transient(format!("reply body not complete within {} ms (timeout)", self.config.timeout_ms))
            }
            other => Fault::Transient(format!("reading the reply body: {other}")),
        })?;
        Ok((status, bytes, retry_after))
    }

    /// POST with retries; a 2xx reply's body, or the failure.
    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, Fault> {
        let _slot = self.slots.take();
        let attempts = self.config.retries + 1;
        let mut last = String::new();
        let mut asked = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                // Doubling backoff, or longer when the service asked (at most a minute).
                let backoff = self.config.backoff_ms.saturating_mul(1 << (attempt - 1));
                let asked_ms = asked.take().map_or(0, |s: u64| s.min(60).saturating_mul(1000));
                std::thread::sleep(Duration::from_millis(backoff.max(asked_ms)));
            }
            match self.post_once(url, content_type, body) {
                Ok((status, reply, _)) if (200..300).contains(&status) => return Ok(reply),
                Ok((status, reply, retry_after)) if status >= 500 || status == 429 => {
                    last = format!("the service replied {status}: {}", excerpt(&reply));
                    asked = retry_after;
                }
                Ok((status, reply, _)) => return Err(self.declined(status, &reply)),
                Err(Fault::Transient(message)) => last = message,
                Err(fault) => return Err(fault),
            }
        }
        let tries = if attempts == 1 { "1 attempt".to_string() } else { format!("{attempts} attempts") };
        Err(Fault::Final(FailureCode::VendorError, format!("{last} (after {tries})")))
    }

    /// A 4xx (or other non-2xx, non-retried) reply: the service's own failure.
    fn declined(&self, status: u16, reply: &[u8]) -> Fault {
        let endpoint = &self.config.create_template;
        let code = serde_json::from_slice::<Value>(reply).ok().and_then(|v| {
            let field = endpoint.failure_field.as_deref()?;
            let named = at(&v, field)?;
            let named = named.as_str().map(str::to_string).unwrap_or_else(|| named.to_string());
            endpoint.failure_codes.get(&named).map(|status| wire::failure_code(status).0)
        });
        Fault::Final(
            code.unwrap_or(FailureCode::VendorError),
            format!("the service replied {status}: {}", excerpt(reply)),
        )
    }

    /// A 2xx reply as JSON.
    fn json(reply: &[u8]) -> Result<Value, Fault> {
        serde_json::from_slice(reply).map_err(|e| {
            Fault::Final(FailureCode::VendorError, format!("malformed reply: not JSON ({e}): `{}`", excerpt(reply)))
        })
    }

    /// Run one call and count it against the failure share.
    fn counted<T>(&self, call: impl FnOnce() -> Result<T, Fault>) -> Result<T, TemplateFailure> {
        if let Some(message) = self.health.fatal() {
            return Err(TemplateFailure { code: FailureCode::VendorError, message: format!("run stopped: {message}") });
        }
        let failure = match call() {
            Ok(value) => {
                self.record(1, 0, None);
                return Ok(value);
            }
            Err(Fault::Final(code, message)) => TemplateFailure { code, message },
            Err(Fault::Transient(message)) => TemplateFailure { code: FailureCode::VendorError, message },
        };
        let fault = wire::is_fault(failure.code);
        self.record(1, u64::from(fault), fault.then_some(failure.message.as_str()));
        Err(failure)
    }

    /// Count calls; `last` is the message of the fault just seen, quoted when the vendor
    /// is declared broken.
    fn record(&self, calls: u64, faults: u64, last: Option<&str>) {
        self.health.record(calls, faults, |faults, calls| {
            format!(
                "vendor `{}` failed {faults} of its {calls} calls so far ({:.1}%; templates of an interrupted earlier \
                 attempt count), more than max_failure_share = {} (unreachable service, 5xx, timeouts or malformed \
                 replies){}",
                self.description.name,
                100.0 * faults as f64 / calls as f64,
                self.config.max_failure_share,
                last.map(|m| format!("; the last: {m}")).unwrap_or_default()
            )
        });
    }

    fn make_template(&self, media: &[u8], role: Role) -> Result<Template, Fault> {
        let endpoint = &self.config.create_template;
        let role_field = endpoint.role_field.as_deref().map(|f| (f, role.name()));
        let (content_type, body) = match endpoint.request {
            RequestShape::Json => {
                let mut request = json!({});
                put(&mut request, &endpoint.media_field, json!(wire::encode_base64(media)));
                if let Some((field, role)) = role_field {
                    put(&mut request, field, json!(role));
                }
                ("application/json".to_string(), request.to_string().into_bytes())
            }
            RequestShape::Multipart => {
                let boundary = "verity-media-boundary-7f3a9c2e51d04b86";
                (
                    format!("multipart/form-data; boundary={boundary}"),
                    multipart(boundary, &endpoint.media_field, media, role_field),
                )
            }
        };
        let reply = Self::json(&self.post(&self.create_url, &content_type, &body)?)?;
        let field = &endpoint.template_field;
        let value = at(&reply, field).ok_or_else(|| {
            Fault::Final(
                FailureCode::VendorError,
                format!("malformed reply: no `{field}`: `{}`", excerpt(reply.to_string().as_bytes())),
            )
        })?;
        let template =
            match (self.config.dim, value) {
                (Some(_), Value::Array(numbers)) => {
                    let values: Option<Vec<f32>> = numbers.iter().map(|n| n.as_f64().map(|x| x as f32)).collect();
                    let values = values.ok_or_else(|| {
                        Fault::Final(
                            FailureCode::TemplateFormatError,
                            format!("`{field}` holds something other than numbers"),
                        )
                    })?;
                    Template::from_embedding(&values)
                }
                (_, Value::String(text)) => Template(wire::decode_base64(text).ok_or_else(|| {
                    Fault::Final(FailureCode::TemplateFormatError, format!("`{field}` is not base64"))
                })?),
                _ => {
                    return Err(Fault::Final(
                        FailureCode::TemplateFormatError,
                        format!("`{field}` is neither base64 text nor an array of numbers"),
                    ));
                }
            };
        if let Some(dim) = self.config.dim {
            template.embedding(dim).map_err(|f| Fault::Final(f.code, f.message))?;
        }
        Ok(template)
    }

    fn score(&self, probe: &Template, reference: &Template) -> Result<f64, Fault> {
        let (Some(endpoint), Some(url)) = (&self.config.compare, &self.compare_url) else {
            // Embedding templates without a compare endpoint: their cosine.
            let dim = self.config.dim.unwrap_or(0);
            let a = probe.embedding(dim).map_err(|f| Fault::Final(f.code, f.message))?;
            let b = reference.embedding(dim).map_err(|f| Fault::Final(f.code, f.message))?;
            return Ok(harness::vendor::cosine(&a, &b));
        };
        let mut request = json!({});
        put(&mut request, &endpoint.probe_field, json!(wire::encode_base64(&probe.0)));
        put(&mut request, &endpoint.reference_field, json!(wire::encode_base64(&reference.0)));
        let reply = Self::json(&self.post(url, "application/json", request.to_string().as_bytes())?)?;
        match at(&reply, &endpoint.score_field).and_then(Value::as_f64) {
            Some(score) if score.is_finite() => Ok(score),
            _ => Err(Fault::Final(
                FailureCode::VendorError,
                format!("malformed reply: no finite number `{}`", endpoint.score_field),
            )),
        }
    }
}

/// A template as the service gave it: numbers with `dim`, base64 otherwise.
fn template_value(dim: Option<usize>, template: &Template) -> Value {
    match dim.and_then(|d| template.embedding(d).ok()) {
        Some(values) => json!(values),
        None => json!(wire::encode_base64(&template.0)),
    }
}

/// A gallery enrolled with the service under `name`.
struct ServiceGallery<'a> {
    vendor: &'a HttpVendor,
    name: String,
    size: usize,
}

impl HttpVendor {
    fn enrol_gallery(&self, gallery: &[&Template]) -> Result<ServiceGallery<'_>, Fault> {
        let (Some(endpoints), Some((url, _, _))) = (&self.config.search, &self.search_urls) else {
            return Err(Fault::Final(FailureCode::VendorError, "no [search] endpoints".into()));
        };
        let n = self.galleries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("verity-{}-{n}", std::process::id());
        let entries: Vec<Value> = gallery
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut entry = json!({});
                put(&mut entry, &endpoints.id_field, json!(i.to_string()));
                put(&mut entry, &endpoints.template_field, template_value(self.config.dim, t));
                entry
            })
            .collect();
        let mut request = json!({});
        put(&mut request, &endpoints.gallery_field, json!(name));
        put(&mut request, &endpoints.templates_field, Value::Array(entries));
        self.post(url, "application/json", request.to_string().as_bytes())?;
        Ok(ServiceGallery { vendor: self, name, size: gallery.len() })
    }

    fn search_gallery(&self, gallery: &ServiceGallery, probe: &Template, n: usize) -> Result<Vec<(u32, f64)>, Fault> {
        let (Some(endpoints), Some((_, url, _))) = (&self.config.search, &self.search_urls) else {
            return Err(Fault::Final(FailureCode::VendorError, "no [search] endpoints".into()));
        };
        let mut request = json!({});
        put(&mut request, &endpoints.gallery_field, json!(gallery.name));
        put(&mut request, &endpoints.probe_field, template_value(self.config.dim, probe));
        put(&mut request, &endpoints.count_field, json!(n));
        let reply = Self::json(&self.post(url, "application/json", request.to_string().as_bytes())?)?;
        let malformed =
            |what: String| Fault::Final(FailureCode::VendorError, format!("malformed search reply: {what}"));
        let list = at(&reply, &endpoints.candidates_field)
            .and_then(Value::as_array)
            .ok_or_else(|| malformed(format!("no array `{}`", endpoints.candidates_field)))?;
        list.iter()
            .map(|c| {
                let id = at(c, &endpoints.id_field).and_then(|v| match v {
                    Value::String(t) => t.parse::<u32>().ok(),
                    other => other.as_u64().and_then(|x| u32::try_from(x).ok()),
                });
                let score = at(c, &endpoints.score_field).and_then(Value::as_f64);
                match (id, score) {
                    (Some(id), Some(score)) if (id as usize) < gallery.size && score.is_finite() => Ok((id, score)),
                    _ => Err(malformed(format!("a candidate is not an id of the gallery with a finite score: `{c}`"))),
                }
            })
            .collect()
    }
}

impl harness::vendor::NativeSearch for HttpVendor {
    fn enrol(&self, gallery: &[&Template]) -> Result<Box<dyn harness::vendor::EnrolledGallery + '_>, TemplateFailure> {
        Ok(Box::new(self.counted(|| self.enrol_gallery(gallery))?))
    }
}

impl harness::vendor::EnrolledGallery for ServiceGallery<'_> {
    fn search(&self, probe: &Template, candidates: usize) -> Result<Vec<(u32, f64)>, TemplateFailure> {
        self.vendor.counted(|| self.vendor.search_gallery(self, probe, candidates))
    }
}

impl Drop for ServiceGallery<'_> {
    /// Tell the service the gallery is no longer needed (best effort: a failure here
    /// changes no result).
    fn drop(&mut self) {
        if let (Some(endpoints), Some((_, _, Some(url)))) = (&self.vendor.config.search, &self.vendor.search_urls) {
            let mut request = json!({});
            put(&mut request, &endpoints.gallery_field, json!(self.name));
            let _ = self.vendor.post(url, "application/json", request.to_string().as_bytes());
        }
    }
}

impl Vendor for HttpVendor {
    fn describe(&self) -> VendorDescription {
        self.description.clone()
    }

    fn create_template(&self, media: &[u8], role: Role) -> Result<Template, TemplateFailure> {
        self.counted(|| self.make_template(media, role))
    }

    fn compare(&self, probe: &Template, reference: &Template) -> Result<f64, TemplateFailure> {
        self.counted(|| self.score(probe, reference))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn provenance_files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn fatal(&self) -> Option<String> {
        self.health.fatal().cloned()
    }

    fn resumed(&self, earlier: &[Option<FailureCode>]) {
        let faults = earlier.iter().filter(|c| c.is_some_and(wire::is_fault)).count() as u64;
        self.record(earlier.len() as u64, faults, None);
    }

    fn native_search(&self) -> Option<&dyn harness::vendor::NativeSearch> {
        self.config.search.as_ref().map(|_| self as &dyn harness::vendor::NativeSearch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_and_fields_nest() {
        assert_eq!(join("https://a.example/api/", "/templates"), "https://a.example/api/templates");
        assert_eq!(join("https://a.example/api", "templates"), "https://a.example/api/templates");
        let mut v = json!({});
        put(&mut v, "input.image", json!("x"));
        put(&mut v, "input.role", json!("enrol"));
        put(&mut v, "top", json!(1));
        assert_eq!(v, json!({"input": {"image": "x", "role": "enrol"}, "top": 1}));
        assert_eq!(at(&v, "input.role"), Some(&json!("enrol")));
        assert_eq!(at(&v, "input.none"), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
        let at = |s: u64| std::time::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(retry_after_seconds("120", at(0)), Some(120));
        assert_eq!(retry_after_seconds(" 7 ", at(0)), Some(7));
        assert_eq!(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 - 30)), Some(30));
        assert_eq!(retry_after_seconds("Sun, 06 Nov 1994 08:49:37 GMT", at(784_111_777 + 5)), Some(0));
        // 2000-02-29 (a leap day) 00:00:00 is 951782400.
        assert_eq!(retry_after_seconds("Tue, 29 Feb 2000 00:00:00 GMT", at(951_782_400 - 1)), Some(1));
        for bad in [
            "soon",
            "-3",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(retry_after_seconds(bad, at(0)), None, "{bad}");
        }
    }

    #[test]
    fn multipart_bodies_carry_the_media_bytes_unchanged() {
        let body = multipart("B", "image", b"\x00\xffpng", Some(("role", "verify")));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--B\r\nContent-Disposition: form-data; name=\"role\"\r\n\r\nverify\r\n--B\r\n"));
        let at = body.windows(7).position(|w| w == b"\x00\xffpng\r\n").unwrap();
        assert!(body[..at].ends_with(b"application/octet-stream\r\n\r\n"));
        assert!(body.ends_with(b"\r\n--B--\r\n"));
    }
}
