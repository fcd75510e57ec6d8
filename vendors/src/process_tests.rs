//! Unit tests of the `process` adapter against tiny Python vendors given with `-c`
//! (python3 is on every CI machine; docs/process-protocol.md).

use super::*;

/// A vendor whose template is the media itself (opaque), whose score is 1 for equal
/// templates and 0 otherwise, and which hangs on media `hang` and crashes on `crash`.
const TOY: &str = r#"
import base64, json, os, sys, time
for line in sys.stdin:
    r = json.loads(line)
    if r["op"] == "describe":
        out = {"status": "ok", "name": "toy", "version": "1", "score_min": 0, "score_max": 1,
               "template": {"kind": "opaque"}}
    elif r["op"] == "create_template":
        media = base64.b64decode(r["media_b64"])
        if media == b"hang":
            time.sleep(30)
        if media == b"crash":
            os._exit(4)
        if media == b"noface":
            out = {"status": "face-detection-error", "message": "no face"}
        else:
            out = {"status": "ok", "template_b64": r["media_b64"]}
    else:
        out = {"status": "ok", "score": 1.0 if r["probe_b64"] == r["reference_b64"] else 0.0}
    print(json.dumps(out), flush=True)
"#;

fn toy(extra: &str) -> ProcessVendor {
    let config =
        format!("kind = \"process\"\ncommand = \"python3\"\nargs = [\"-c\", '''{TOY}''']\ntimeout_ms = 300\n{extra}");
    ProcessVendor::from_toml(&config, &std::env::temp_dir().join("toy.toml")).unwrap()
}

#[test]
fn templates_compare_and_declared_failures() {
    let v = toy("");
    assert_eq!(v.describe().name, "toy");
    assert_eq!(v.describe().template, TemplateFormat::Opaque);
    let a = v.create_template(b"face a", Role::Enrol).unwrap();
    let b = v.create_template(b"face b", Role::Verify).unwrap();
    assert_eq!(a.0, b"face a");
    assert_eq!(v.compare(&a, &a).unwrap(), 1.0);
    assert_eq!(v.compare(&a, &b).unwrap(), 0.0);
    let f = v.create_template(b"noface", Role::Search).unwrap_err();
    assert_eq!(f.code, FailureCode::FaceDetectionError);
    assert!(f.message.contains("no face"), "{}", f.message);
    assert!(v.fatal().is_none());
    assert!(v.fingerprint().starts_with("process:sha256:"));
}

#[test]
fn a_hang_and_a_crash_cost_one_call_each() {
    let v = toy("");
    let start = Instant::now();
    let f = v.create_template(b"hang", Role::Enrol).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(f.code, FailureCode::VendorError);
    assert!(f.message.contains("did not reply within 300 ms"), "{}", f.message);
    assert_eq!(v.create_template(b"x", Role::Enrol).unwrap().0, b"x");
    let f = v.create_template(b"crash", Role::Enrol).unwrap_err();
    assert!(f.message.contains("crashed") && f.message.contains('4'), "{}", f.message);
    assert_eq!(v.create_template(b"y", Role::Enrol).unwrap().0, b"y");
}

#[test]
fn too_many_faults_or_restarts_make_the_vendor_fatal() {
    let v = toy("min_calls = 4\nmax_failure_share = 0.5\n");
    for _ in 0..3 {
        assert!(v.create_template(b"crash", Role::Enrol).is_err());
    }
    assert!(v.fatal().is_none(), "judged only after min_calls");
    assert!(v.create_template(b"crash", Role::Enrol).is_err());
    let message = v.fatal().expect("4 faults in 4 calls");
    assert!(message.contains("failed 4 of its 4 calls so far"), "{message}");
    let f = v.create_template(b"x", Role::Enrol).unwrap_err();
    assert!(f.message.starts_with("run stopped:"), "{}", f.message);

    let v = toy("max_restarts = 1\nmax_failure_share = 0.99\n");
    assert!(v.create_template(b"crash", Role::Enrol).is_err());
    assert!(v.create_template(b"crash", Role::Enrol).is_err());
    assert!(v.create_template(b"x", Role::Enrol).is_err());
    assert!(v.fatal().expect("restarts exhausted").contains("max_restarts = 1"));
}

#[test]
fn config_errors_name_the_key() {
    let path = std::env::temp_dir().join("v.toml");
    let e = ProcessVendor::from_toml("kind = \"process\"\ncommand = \"no-such-vendor-program\"\n", &path)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("line 2") && e.contains("`command`") && e.contains("no program"), "{e}");
    let e = ProcessVendor::from_toml("kind = \"process\"\ncommand = \"python3\"\nprocesses = 0\n", &path)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("line 3") && e.contains("processes"), "{e}");
    // A program that does not answer describe is refused at load time.
    let e = ProcessVendor::from_toml(
        "kind = \"process\"\ncommand = \"python3\"\nargs = [\"-c\", \"print('hello')\"]\n",
        &path,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("malformed describe reply"), "{e}");
}
