//! End-to-end tests of the `http` adapter (docs/adapters.md, "http") against a small
//! HTTP/1.1 service this test starts on 127.0.0.1: the null face matcher
//! (tests/common/null_face.rs), with slow, failing, flaky and malformed replies planted
//! on chosen faces.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

mod common;

use common::null_face::{capture_of, null_similarity, null_template};
use common::{failure_counts, planted_failure_counts, rate, s, simulate_small, text, tree, write};
use harness::vendor::{FailureCode, Role, Template, Vendor};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---- the test service --------------------------------------------------------------

/// What the service does, and what it saw.
#[derive(Default)]
struct Service {
    /// Planted behaviour by capture seed.
    planted: HashMap<String, &'static str>,
    /// The credential it requires in `x-api-key`, when set.
    token: Option<String>,
    /// Calls to templates by (capture, role), with the time of each.
    attempts: Mutex<HashMap<(String, String), Vec<std::time::Instant>>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// Galleries enrolled through the search endpoints: name -> (id, template).
    galleries: Mutex<HashMap<String, Gallery>>,
    /// Every enrolment (gallery name, templates) and deletion, in order.
    enrolments: Mutex<Vec<(String, usize)>>,
    deleted: Mutex<Vec<String>>,
}

/// An enrolled gallery of the test service: (id, template bytes).
type Gallery = Vec<(String, Vec<u8>)>;

struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<impl Read>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { path, headers, body })
}

/// Write a reply; a 429 asks the client to wait a second (`Retry-After: 1`).
fn reply(stream: &mut impl Write, status: u16, body: &str) {
    let wait = if status == 429 { "Retry-After: 1\r\n" } else { "" };
    let text = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{wait}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes());
}

/// The media of a multipart body: the bytes of the part named `image`.
fn multipart_media(content_type: &str, body: &[u8]) -> (Vec<u8>, Option<String>) {
    let boundary = content_type.split("boundary=").nth(1).unwrap();
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter.as_bytes()) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    let (mut media, mut role) = (Vec::new(), None);
    for part in parts.into_iter().skip(1) {
        let head_end = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&part[..head_end]);
        let content = &part[head_end + 4..part.len() - 2];
        if head.contains("name=\"image\"") {
            media = content.to_vec();
        } else if head.contains("name=\"role\"") {
            role = Some(String::from_utf8_lossy(content).into_owned());
        }
    }
    (media, role)
}

fn b64(bytes: &[u8]) -> String {
    vendors::process_wire::encode_base64(bytes)
}

fn unb64(v: &serde_json::Value) -> Vec<u8> {
    vendors::process_wire::decode_base64(v.as_str().unwrap()).unwrap()
}

/// The reply to a request: status, body, and how long to wait before sending it.
fn respond(service: &Service, request: Request) -> (u16, String, Duration) {
    let now = |status: u16, body: &str| (status, body.to_string(), Duration::ZERO);
    if let Some(token) = &service.token
        && request.headers.get("x-api-key") != Some(token)
    {
        return now(401, r#"{"error":{"code":"UNAUTHORISED"}}"#);
    }
    if request.path == "/api/galleries" {
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let name = v["gallery"].as_str().unwrap().to_string();
        let templates: Vec<(String, Vec<u8>)> = v["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["id"].as_str().unwrap().to_string(), unb64(&t["template"])))
            .collect();
        service.enrolments.lock().unwrap().push((name.clone(), templates.len()));
        service.galleries.lock().unwrap().insert(name, templates);
        return now(201, "{}");
    }
    if request.path == "/api/galleries/delete" {
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let name = v["gallery"].as_str().unwrap().to_string();
        service.galleries.lock().unwrap().remove(&name);
        service.deleted.lock().unwrap().push(name);
        return now(204, "");
    }
    if request.path == "/api/search" {
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let galleries = service.galleries.lock().unwrap();
        let Some(gallery) = galleries.get(v["gallery"].as_str().unwrap()) else {
            return now(404, r#"{"error":{"code":"NO_GALLERY"}}"#);
        };
        let probe = unb64(&v["probe"]);
        let mut scored: Vec<(f64, &str)> =
            gallery.iter().map(|(id, t)| (null_similarity(&probe, t), id.as_str())).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let n = v["max_candidates"].as_u64().unwrap() as usize;
        let candidates: Vec<serde_json::Value> =
            scored.iter().take(n).map(|(score, id)| serde_json::json!({ "id": id, "score": score })).collect();
        return now(200, &serde_json::json!({ "candidates": candidates }).to_string());
    }
    if request.path == "/api/compare" {
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let score = null_similarity(&unb64(&v["probe"]), &unb64(&v["reference"]));
        return now(200, &serde_json::json!({ "score": score }).to_string());
    }
    let multipart = request.headers.get("content-type").is_some_and(|t| t.starts_with("multipart/form-data"));
    let (media, role) = if multipart {
        multipart_media(&request.headers["content-type"], &request.body)
    } else {
        let v: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        (unb64(&v["input"]["image"]), v["input"]["role"].as_str().map(str::to_string))
    };
    let face = String::from_utf8(media).unwrap();
    let capture = capture_of(&face);
    let attempt = {
        let mut attempts = service.attempts.lock().unwrap();
        let times = attempts.entry((capture.clone(), role.unwrap_or_default())).or_default();
        times.push(std::time::Instant::now());
        times.len()
    };
    match service.planted.get(&capture).copied() {
        // Past the client's timeout: it gives up, so the call is no longer in flight.
        Some("slow") => (200, "{}".into(), Duration::from_millis(1500)),
        Some("flaky") if attempt == 1 => now(503, "busy"),
        Some("busy") if attempt == 1 => now(429, "slow down"),
        Some("error500") => now(500, "internal error"),
        Some("malformed") => now(200, "<html>oops"),
        Some("noface") => now(422, r#"{"error":{"code":"NO_FACE","message":"no face found"}}"#),
        Some("reject") => now(400, r#"{"error":{"code":"BAD_REQUEST","message":"unsupported image"}}"#),
        _ => {
            let template = null_template(&face);
            let body = if multipart {
                let values: Vec<f32> =
                    template.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                serde_json::json!({ "result": { "template": values } })
            } else {
                serde_json::json!({ "result": { "template": b64(&template) } })
            };
            now(200, &body.to_string())
        }
    }
}

/// Answer the requests of one connection.
fn serve(service: &Service, stream: impl Read + Write) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let now = service.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        service.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let (status, body, delay) = respond(service, request);
        service.in_flight.fetch_sub(1, Ordering::SeqCst);
        std::thread::sleep(delay);
        reply(reader.get_mut(), status, &body);
        let _ = reader.get_mut().flush();
    }
}

/// Start the service on 127.0.0.1, over TLS when given a server config; returns its base
/// URL. It stops with the test process.
fn start_with(service: Arc<Service>, tls: Option<Arc<rustls::ServerConfig>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let scheme = if tls.is_some() { "https" } else { "http" };
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (service, tls) = (service.clone(), tls.clone());
            std::thread::spawn(move || match tls {
                Some(config) => {
                    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                    serve(&service, rustls::StreamOwned::new(connection, stream));
                }
                None => serve(&service, stream),
            });
        }
    });
    format!("{scheme}://127.0.0.1:{port}/api/")
}

fn start(service: Arc<Service>) -> String {
    start_with(service, None)
}

// ---- the tests -----------------------------------------------------------------------

const ACTIONS: [&str; 7] = ["slow", "flaky", "busy", "error500", "malformed", "noface", "reject"];

/// Plant one behaviour of each kind on a chosen sample.
fn plant(bench: &harness::model::benchmark::Benchmark) -> BTreeMap<u32, &'static str> {
    let mut samples: Vec<u32> = Vec::new();
    for (s, _) in harness::run::plan::templates_needed(&bench.protocols) {
        if !samples.contains(&s) {
            samples.push(s);
        }
    }
    ACTIONS.iter().enumerate().map(|(k, action)| (samples[7 + 31 * k], *action)).collect()
}

fn service_for(bench: &harness::model::benchmark::Benchmark, planted: &BTreeMap<u32, &'static str>) -> Service {
    let face = |s: u32| String::from_utf8(bench.samples.media[s as usize].bytes().unwrap().to_vec()).unwrap();
    Service { planted: planted.iter().map(|(s, a)| (capture_of(&face(*s)), *a)).collect(), ..Service::default() }
}

/// A service config; `threshold` is declared, with the score range `min..=1`.
fn config(dir: &Path, url: &str, (min, threshold): (f64, f64), extra: &str, create: &str) -> PathBuf {
    write(
        dir,
        "service.toml",
        &format!(
            "kind = \"http\"\nname = \"null-service\"\nversion = \"1\"\nbase_url = \"{url}\"\nscore_min = {min:?}\n\
             score_max = 1.0\ntimeout_ms = 400\nretries = 2\nbackoff_ms = 20\n\
             max_failure_share = 0.2\n{extra}\
             [[thresholds]]\nlabel = \"null\"\nvalue = {threshold:?}\n\
             [create_template]\npath = \"templates\"\nrole_field = \"input.role\"\n\
             failure_field = \"error.code\"\nfailure_codes = {{ NO_FACE = \"face-detection-error\" }}\n{create}"
        ),
    )
}

/// What each planted behaviour must cost: nothing (retried), or a failure with its code
/// and reason.
fn expected(action: &str) -> Option<(FailureCode, &'static str)> {
    match action {
        "slow" => Some((FailureCode::VendorError, "no reply within 400 ms (timeout) (after 3 attempts)")),
        "flaky" | "busy" => None,
        "error500" => Some((FailureCode::VendorError, "the service replied 500: internal error (after 3 attempts)")),
        "malformed" => Some((FailureCode::VendorError, "malformed reply: not JSON")),
        "noface" => {
            Some((FailureCode::FaceDetectionError, "the service replied 422: {\"error\":{\"code\":\"NO_FACE\""))
        }
        _ => Some((FailureCode::VendorError, "the service replied 400: {\"error\":{\"code\":\"BAD_REQUEST\"")),
    }
}

#[test]
fn service_faults_cost_one_template_each_and_retries_recover_transient_ones() {
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = simulate_small(dir.path());
    let bench = datasets::load(&bench_dir).unwrap();
    let planted = plant(&bench);
    let service = Arc::new(service_for(&bench, &planted));
    let url = start(service.clone());
    let toml = config(
        dir.path(),
        &url,
        (0.0, 0.75),
        "concurrency = 1\n",
        "media_field = \"input.image\"\ntemplate_field = \"result.template\"\n[compare]\npath = \"compare\"\n",
    );
    let vendor = vendors::HttpVendor::from_toml(&std::fs::read_to_string(&toml).unwrap(), &toml).unwrap();
    let run = harness::run::runner::run_vendor(&bench, &vendor, &harness::run::progress::Silent);
    assert_eq!(vendor.fatal(), None);

    let needed = harness::run::plan::templates_needed(&bench.protocols);
    let want: BTreeMap<(u32, Role), (FailureCode, &str)> = needed
        .iter()
        .filter_map(|(s, role)| planted.get(s).and_then(|a| expected(a)).map(|e| ((*s, *role), e)))
        .collect();
    let found: BTreeMap<(u32, Role), (FailureCode, String)> =
        run.failures.iter().map(|f| ((f.sample, f.role), (f.failure.code, f.failure.message.clone()))).collect();
    assert_eq!(found.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (key, (code, text)) in &want {
        assert_eq!(found[key].0, *code, "{key:?}: {}", found[key].1);
        assert!(found[key].1.contains(text), "{key:?}: {}", found[key].1);
    }
    assert_eq!(run.outcomes.failed.iter().filter(|f| !**f).count(), needed.len() - want.len());
    // Retries: three attempts at what kept failing, two at the flaky and busy faces, one
    // at a 4xx; after a 429 with `Retry-After: 1` the next attempt waits the second
    // (backoff_ms is 20).
    let attempts = service.attempts.lock().unwrap().clone();
    let face = |s: u32| String::from_utf8(bench.samples.media[s as usize].bytes().unwrap().to_vec()).unwrap();
    for (s, action) in &planted {
        let tries: Vec<&Vec<std::time::Instant>> =
            attempts.iter().filter(|((c, _), _)| *c == capture_of(&face(*s))).map(|(_, t)| t).collect();
        let want = match *action {
            "slow" | "error500" => 3,
            "flaky" | "busy" => 2,
            _ => 1,
        };
        assert!(!tries.is_empty() && tries.iter().all(|t| t.len() == want), "{action}: {tries:?}");
        if *action == "busy" {
            for t in &tries {
                assert!(t[1] - t[0] >= Duration::from_millis(1000), "waited {:?}", t[1] - t[0]);
            }
        }
    }
    // The runner calls from every core; `concurrency = 1` keeps one call in flight.
    assert_eq!(service.most_in_flight.load(Ordering::SeqCst), 1, "more calls in flight than `concurrency`");

    // Templates and scores are the service's, bit for bit.
    let clean: Vec<u32> = needed.iter().map(|(s, _)| *s).filter(|s| !planted.contains_key(s)).take(5).collect();
    let templates: Vec<Template> = clean
        .iter()
        .map(|s| {
            let t = vendor.create_template(bench.samples.media[*s as usize].bytes().unwrap().as_ref(), Role::Enrol);
            let t = t.unwrap();
            assert_eq!(t.0, null_template(&face(*s)));
            t
        })
        .collect();
    for a in &templates {
        for b in &templates {
            assert_eq!(vendor.compare(a, b).unwrap(), null_similarity(&a.0, &b.0));
        }
    }
}

#[test]
fn a_service_with_multipart_requests_embeddings_and_a_credential_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = simulate_small(dir.path());
    let bench = datasets::load(&bench_dir).unwrap();
    let planted = plant(&bench);
    let token = "sekret-token-4471";
    let service = Arc::new(Service { token: Some(token.into()), ..service_for(&bench, &planted) });
    let url = start(service.clone());
    let toml = config(
        dir.path(),
        &url,
        (-1.0, 0.5),
        "concurrency = 3\ndim = 32\nauth_header = \"x-api-key\"\nauth_env = \"NULL_SERVICE_KEY\"\n",
        "request = \"multipart\"\nmedia_field = \"image\"\ntemplate_field = \"result.template\"\n",
    );
    let out = dir.path().join("out");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_verity"))
            .args(["run", s(&bench_dir), "--vendor", s(&toml), "--out", s(&out), "--no-cache"])
            .env("NULL_SERVICE_KEY", token)
            .output()
            .unwrap()
    };
    let o = run();
    assert!(o.status.success(), "{}", text(&o));
    let first = std::fs::read(out.join("results.json")).unwrap();
    let results: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let v = &results["vendors"][0];
    assert_eq!(v["vendor"]["name"], "null-service");
    // Embeddings are compared by verity, by cosine: mated pairs about 0.8, others about 0.
    // Failures by role and code: exactly those planted (a flaky face is retried and made).
    let needed = harness::run::plan::templates_needed(&bench.protocols);
    let code = |action: &str| expected(action).map(|(code, _)| code.name());
    assert_eq!(failure_counts(v), planted_failure_counts(&needed, &planted, code), "{}", v["failures"]);
    let overall = |metric: &str| {
        rate(&out, &format!("null-service,verification,verification,{metric},,,0.5,declared:null,all,all,"))
    };
    assert!(overall("fnmr") < 0.06, "FNMR {}", overall("fnmr"));
    assert!(overall("fmr") < 0.01, "FMR {}", overall("fmr"));
    // The credential is in no output.
    for (path, bytes) in tree(&out) {
        assert!(!String::from_utf8_lossy(&bytes).contains(token), "{} holds the credential", path.display());
    }
    let o = run();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(first, std::fs::read(out.join("results.json")).unwrap(), "results.json differs between runs");
}

#[test]
fn a_service_config_verity_cannot_use_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bench = simulate_small(d);
    let base = |url: &str, extra: &str| {
        format!(
            "kind = \"http\"\nname = \"n\"\nversion = \"1\"\nbase_url = \"{url}\"\nscore_min = 0.0\nscore_max = 1.0\n\
             {extra}[create_template]\npath = \"t\"\n"
        )
    };
    let cases = [
        (base("ftp://x.example/", "dim = 4\n"), "base_url", "is not an http:// or https:// URL"),
        (base("https:///nohost", "dim = 4\n"), "base_url", "is not an http:// or https:// URL"),
        (base("https://x.example/", ""), "compare", "a [compare] endpoint is needed"),
        (
            base(
                "https://x.example/",
                "dim = 4\nauth_header = \"x-api-key\"\nauth_env = \"VERITY_NO_SUCH_VARIABLE\"\n",
            ),
            "auth_env",
            "VERITY_NO_SUCH_VARIABLE is not set",
        ),
        (base("https://x.example/", "dim = 4\nca_file = \"absent.pem\"\n"), "ca_file", "cannot read"),
        (
            base("https://x.example/", "dim = 4\n") + "failure_codes = { NO_FACE = \"no-face\" }\n",
            "failure_codes",
            "`no-face` is not a status verity knows",
        ),
    ];
    for (body, key, message) in cases {
        let toml = write(d, "bad.toml", &body);
        let out = d.join("out");
        let before = tree(&out);
        let o = common::verity(&["run", s(&bench), "--vendor", s(&toml), "--out", s(&out), "--no-cache"]);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(2), "{key}: {all}");
        assert!(all.contains("bad.toml") && all.contains(key), "{key}: {all}");
        assert!(all.contains(message), "{message}: {all}");
        assert_eq!(tree(&out), before, "{key}: something was written");
    }
}

/// A test CA and a certificate for 127.0.0.1 it signed, made by openssl: (CA PEM,
/// certificate PEM, key PEM), or `None` (SKIPPED printed) without openssl.
fn certificates(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let p = |name: &str| dir.join(name);
    std::fs::write(p("leaf.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec,
            &["-days", "2", "-subj", "/CN=verity test CA", "-keyout", "ca.key", "-out", "ca.pem"],
        ]
        .concat(),
        [&["req"][..], &ec, &["-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "leaf.csr"]].concat(),
        vec![
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "cert.pem",
        ],
    ];
    for args in steps {
        match std::process::Command::new("openssl").args(&args).current_dir(dir).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!("openssl {args:?} failed: {}", text(&o)),
            Err(e) => {
                println!("SKIPPED: the HTTPS test needs openssl to make certificates ({e})");
                return None;
            }
        }
    }
    Some((p("ca.pem"), p("cert.pem"), p("key.pem")))
}

#[test]
fn https_services_are_trusted_through_ca_file_and_refused_without_it() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = certificates(dir.path()) else { return };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&cert).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let url = start_with(Arc::new(Service::default()), Some(Arc::new(tls)));
    let face = "face/v1 identity=034f739552a91b48 appearance=M×a capture=4af9869737a4cb00";
    let vendor = |extra: &str| {
        let toml = config(
            dir.path(),
            &url,
            (0.0, 0.75),
            extra,
            "media_field = \"input.image\"\ntemplate_field = \"result.template\"\n[compare]\npath = \"compare\"\n",
        );
        vendors::HttpVendor::from_toml(&std::fs::read_to_string(&toml).unwrap(), &toml).unwrap()
    };
    let trusted = vendor(&format!("ca_file = {:?}\n", s(&ca)));
    let t = trusted.create_template(face.as_bytes(), Role::Verify).unwrap();
    assert_eq!(t.0, null_template(face));
    // The same service without its CA: the certificate is refused, and that call fails.
    let failure = vendor("").create_template(face.as_bytes(), Role::Verify).unwrap_err();
    assert_eq!(failure.code, FailureCode::VendorError);
    assert!(failure.message.to_lowercase().contains("certificate"), "{}", failure.message);
    assert!(!failure.message.contains("(after"), "a refused certificate is not retried: {}", failure.message);
}

#[test]
fn an_unreachable_service_stops_the_run_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let bench = simulate_small(dir.path());
    // A port nothing listens on: bound, then let go.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let toml = config(dir.path(), &format!("http://127.0.0.1:{port}/api/"), (-1.0, 0.5), "dim = 32\n", "");
    let out = dir.path().join("out");
    let o = common::verity(&["run", s(&bench), "--vendor", s(&toml), "--out", s(&out), "--no-cache"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("the run was stopped: vendor `null-service` failed 20 of its 20 calls"), "{t}");
    assert!(t.contains("; the last: connection failed:") && t.contains("(after 3 attempts)"), "{t}");
    assert!(!out.join("results.json").exists());
}

/// The JSON template requests of the test service.
const CREATE_JSON: &str = "media_field = \"input.image\"\ntemplate_field = \"result.template\"\n";

/// The 1:N rows of rates.csv (identification and watchlist), without the vendor column.
fn search_rows(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("rates.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(",identification,") || l.contains(",watchlist,"))
        .map(|l| l.split_once(',').unwrap().1.to_string())
        .collect()
}

#[test]
fn a_service_s_own_search_gives_the_results_of_verity_s_search() {
    let dir = tempfile::tempdir().unwrap();
    let bench_dir = simulate_small(dir.path());
    let service = Arc::new(Service::default());
    let url = start(service.clone());
    let mut outs = Vec::new();
    for (name, search) in [
        ("by-compare", ""),
        (
            "by-search",
            "[search]\nenrol_path = \"galleries\"\nsearch_path = \"search\"\ndelete_path = \"galleries/delete\"\n",
        ),
    ] {
        let toml = config(
            &dir.path().join(name),
            &url,
            (0.0, 0.75),
            "",
            &format!("{CREATE_JSON}[compare]\npath = \"compare\"\n{search}"),
        );
        let out = dir.path().join(name).join("out");
        let o = common::verity(&["run", s(&bench_dir), "--vendor", s(&toml), "--out", s(&out), "--no-cache"]);
        assert!(o.status.success(), "{}", text(&o));
        outs.push(out);
    }
    let rows = search_rows(&outs[0]);
    assert!(rows.len() > 20, "{rows:?}");
    let native = search_rows(&outs[1]);
    assert_eq!(rows.len(), native.len());
    // Every count and rate is the same. A calibrated threshold is a score itself: the
    // service's f64 where verity's own search of opaque templates keeps an f32.
    for (a, b) in rows.iter().zip(&native) {
        let (fa, fb): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
        assert_eq!((&fa[..5], &fa[6..]), (&fb[..5], &fb[6..]), "{a}\n{b}");
        if fa[5] != fb[5] {
            let (x, y): (f64, f64) = (fa[5].parse().unwrap(), fb[5].parse().unwrap());
            assert!(fa[6].starts_with("calibrated:") && (x - y).abs() < 1e-6, "{a}\n{b}");
        }
    }
    // One enrolment per gallery size: identification 20 and 40 subjects, the watchlist
    // 40 (one enrolment template per subject), each deleted when done, ids shuffled.
    let enrolments = service.enrolments.lock().unwrap().clone();
    let mut sizes: Vec<usize> = enrolments.iter().map(|e| e.1).collect();
    sizes.sort();
    assert_eq!(sizes, vec![20, 40, 40], "{enrolments:?}");
    let mut deleted = service.deleted.lock().unwrap().clone();
    deleted.sort();
    let mut names: Vec<String> = enrolments.iter().map(|e| e.0.clone()).collect();
    names.sort();
    assert_eq!(deleted, names);
    assert!(service.galleries.lock().unwrap().is_empty());
}

#[test]
fn a_garbled_search_reply_fails_that_search_alone() {
    let dir = tempfile::tempdir().unwrap();
    let service = Arc::new(Service::default());
    let url = start(service.clone());
    let toml = config(
        dir.path(),
        &url,
        (0.0, 0.75),
        "",
        &format!(
            "{CREATE_JSON}[compare]\npath = \"compare\"\n[search]\nenrol_path = \"galleries\"\n\
             search_path = \"search\"\ncandidates_field = \"result.candidates\"\n"
        ),
    );
    let vendor = vendors::http::HttpVendor::from_toml(&std::fs::read_to_string(&toml).unwrap(), &toml).unwrap();
    let face = |i: u64| format!("face/v1 identity={i:016x} capture={:016x}", i + 100);
    let gallery: Vec<Template> = (0..3).map(|i| Template(null_template(&face(i)))).collect();
    let refs: Vec<&Template> = gallery.iter().collect();
    let native = vendor.native_search().expect("a [search] table");
    let enrolled = native.enrol(&refs).unwrap();
    // The service answers `candidates`, not `result.candidates`: every search fails,
    // naming what is missing.
    let e = enrolled.search(&gallery[0], 2).unwrap_err();
    assert_eq!(e.code, FailureCode::VendorError);
    assert!(e.message.contains("no array `result.candidates`"), "{}", e.message);
}
