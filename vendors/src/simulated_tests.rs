use super::*;
use rand::Rng;

const CONFIG: &str = r#"
kind = "simulated"
name = "test-vendor"
version = "1"
dim = 64
seed = 7

[[thresholds]]
label = "operational"
value = 0.6

[defaults]
cluster = 0.1
noise = 0.5
quality_spread = 0.2

[cells.black]
cluster = 0.4

[cells."F×white"]
noise = 1.0
fte = 0.2
"#;

fn vendor(text: &str) -> SimulatedVendor {
    SimulatedVendor::from_toml(text, Path::new("vendor.toml")).unwrap()
}

fn face(identity: u64, appearance: &str, capture: u64) -> Vec<u8> {
    SyntheticFace::new(identity, appearance, capture).unwrap().to_bytes()
}

fn faces(seed: u64, appearance: &str, subjects: usize, per_subject: usize) -> Vec<Vec<Vec<u8>>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..subjects)
        .map(|_| {
            let identity: u64 = rng.random();
            (0..per_subject).map(|_| face(identity, appearance, rng.random())).collect()
        })
        .collect()
}

/// Mean mated and non-mated cosine of a cell, through create_template and compare.
fn mean_scores(v: &SimulatedVendor, appearance: &str) -> (f64, f64) {
    let subjects = faces(11, appearance, 60, 2);
    let t: Vec<Vec<Template>> =
        subjects.iter().map(|s| s.iter().map(|m| v.create_template(m, Role::Verify).unwrap()).collect()).collect();
    let mated: Vec<f64> = t.iter().map(|s| v.compare(&s[0], &s[1]).unwrap()).collect();
    let mut non_mated = Vec::new();
    for i in 0..t.len() {
        for j in i + 1..t.len() {
            non_mated.push(v.compare(&t[i][0], &t[j][1]).unwrap());
        }
    }
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    (mean(&mated), mean(&non_mated))
}

#[test]
fn same_media_and_config_give_same_bytes() {
    let (a, b) = (vendor(CONFIG), vendor(CONFIG));
    let media = face(1, "M×asian", 2);
    let t = a.create_template(&media, Role::Enrol).unwrap();
    assert_eq!(t, b.create_template(&media, Role::Search).unwrap());
    assert_eq!(t.0.len(), 64 * 4);
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_eq!(a.describe().template, TemplateFormat::Embedding { dim: 64 });
    assert_eq!(a.describe().thresholds[0].value, 0.6);

    let other_seed = vendor(&CONFIG.replace("seed = 7", "seed = 8"));
    assert_ne!(t, other_seed.create_template(&media, Role::Enrol).unwrap());
    assert_ne!(a.fingerprint(), other_seed.fingerprint());
    assert_ne!(t, a.create_template(&face(1, "M×asian", 3), Role::Enrol).unwrap());
}

#[test]
fn overrides_apply_most_specific_last() {
    let v = vendor(CONFIG);
    assert_eq!(v.parameters("M×asian").cluster, 0.1);
    assert_eq!(v.parameters("M×black").cluster, 0.4);
    let fw = v.parameters("F×white");
    assert_eq!((fw.cluster, fw.noise, fw.fte, fw.identity_dim), (0.1, 1.0, 0.2, 64));
}

#[test]
fn tighter_cluster_raises_non_mated_scores() {
    let v = vendor(CONFIG);
    let (_, tight) = mean_scores(&v, "M×black");
    let (_, loose) = mean_scores(&v, "M×asian");
    // Expected about 0.4 and 0.1 times the capture attenuation (~0.8).
    assert!(tight > loose + 0.15, "non-mated means: tight {tight}, loose {loose}");
}

#[test]
fn noisier_captures_lower_mated_scores() {
    // F×white has no FTE here; only its noise differs from M×white.
    let v = vendor(&CONFIG.replace("fte = 0.2", "fte = 0.0"));
    let (noisy, _) = mean_scores(&v, "F×white");
    let (clean, _) = mean_scores(&v, "M×white");
    assert!(clean > noisy + 0.2, "mated means: clean {clean}, noisy {noisy}");
}

#[test]
fn fte_probability_is_honoured() {
    let v = vendor(CONFIG);
    let n = 4000;
    let captures = faces(3, "F×white", n, 1);
    let failed = captures
        .iter()
        .filter(|s| match v.create_template(&s[0], Role::Enrol) {
            Err(e) => {
                assert_eq!(e.code, FailureCode::FeatureExtractionError);
                true
            }
            Ok(_) => false,
        })
        .count();
    // 0.2 +- 4 standard errors (sd = sqrt(0.2 * 0.8 / 4000) = 0.0063).
    let rate = failed as f64 / n as f64;
    assert!((rate - 0.2).abs() < 0.026, "FTE rate {rate}");
    // Deterministic: the same capture fails again.
    let first_failure = captures.iter().find(|s| v.create_template(&s[0], Role::Enrol).is_err()).unwrap();
    assert!(v.create_template(&first_failure[0], Role::Verify).is_err());
    // Other cells never fail.
    assert!(faces(3, "M×white", 200, 1).iter().all(|s| v.create_template(&s[0], Role::Enrol).is_ok()));
}

#[test]
fn non_synthetic_media_is_a_parse_error() {
    let v = vendor(CONFIG);
    let e = v.create_template(b"\x89PNG\r\n", Role::Enrol).unwrap_err();
    assert_eq!(e.code, FailureCode::ParseError);
    assert!(e.message.contains("not a synthetic face"), "{}", e.message);
}

#[test]
fn bad_config_names_the_key() {
    let err = |text: &str| SimulatedVendor::from_toml(text, Path::new("v.toml")).err().unwrap().to_string();

    let e = err(&CONFIG.replace("cluster = 0.4", "cluster = 1.5"));
    assert!(e.contains("v.toml") && e.contains("`cells.black.cluster`") && e.contains("line 18"), "{e}");
    assert!(e.contains("column 11"), "{e}");

    let e = err(&CONFIG.replace("noise = 0.5", "nose = 0.5"));
    assert!(e.contains("`nose`") && e.contains("line 14"), "{e}");

    let e = err(&CONFIG.replace("dim = 64", "dim = \"big\""));
    assert!(e.contains("`dim`") && e.contains("line 5"), "{e}");

    let e = err(&CONFIG.replace("seed = 7\n", ""));
    assert!(e.contains("`seed`"), "{e}");

    let e = err(&CONFIG.replace("value = 0.6", "value = 1.6"));
    assert!(e.contains("`thresholds.0.value`") && e.contains("line 10"), "{e}");

    let e = err(&CONFIG.replace("fte = 0.2", "fte = -0.2"));
    assert!(e.contains("`cells.F×white.fte`"), "{e}");

    for (line, message) in [
        ("size_effect = 5", "size_effect must be from 0 to 4, found 5"),
        ("reference_size = 0.5", "reference_size must be from 1 to 10000 pixels, found 0.5"),
        ("light_effect = -1", "light_effect must be from 0 to 4, found -1"),
        ("reference_light = 300", "reference_light must be a mean luma from 1 to 255, found 300"),
    ] {
        let e = err(&CONFIG.replace("cluster = 0.4", &format!("cluster = 0.4\n{line}")));
        let key = line.split(' ').next().unwrap();
        assert!(e.contains(&format!("`cells.black.{key}`")) && e.contains(message), "{e}");
    }
}

#[test]
fn darker_faces_score_lower_against_their_mates_with_a_light_effect() {
    let v = vendor(&CONFIG.replace("quality_spread = 0.2", "quality_spread = 0.2\nlight_effect = 1.0"));
    let mated = |light: u32| -> f64 {
        let mut total = 0.0;
        for s in 0..200u64 {
            let mut a = SyntheticFace::new(s, "M×white", 2 * s).unwrap();
            let mut b = SyntheticFace::new(s, "M×white", 2 * s + 1).unwrap();
            a.light = Some(128);
            b.light = Some(light);
            let (ta, tb) = (v.embed(&a).unwrap(), v.embed(&b).unwrap());
            total += ta.iter().zip(&tb).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>();
        }
        total / 200.0
    };
    let (dark, reference) = (mated(64), mated(128));
    assert!(reference > dark + 0.1, "mated means: at the reference light {reference}, dark {dark}");
    // Without the effect, light changes nothing.
    let plain = vendor(CONFIG);
    let mut a = SyntheticFace::new(1, "M×white", 5).unwrap();
    let without = plain.embed(&a).unwrap();
    a.light = Some(40);
    assert_eq!(plain.embed(&a).unwrap(), without);
}

#[test]
fn load_vendor_dispatches_on_kind() {
    let dir = std::env::temp_dir().join(format!("verity-vendors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.toml");
    std::fs::write(&path, CONFIG).unwrap();
    assert_eq!(crate::load_vendor(&path).unwrap().describe().name, "test-vendor");
    std::fs::write(&path, CONFIG.replace("kind = \"simulated\"", "kind = \"magic\"")).unwrap();
    let e = crate::load_vendor(&path).err().unwrap().to_string();
    assert!(e.contains("unknown vendor kind `magic`") && e.contains("line 2") && e.contains("`kind`"), "{e}");
    let e = crate::load_vendor(&dir.join("missing.toml")).err().unwrap().to_string();
    assert!(e.contains("missing.toml"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn value_coordinates_match_the_calibration_script() {
    // Reference values from examples/demo/calibrate.py's value_coordinate().
    let got: Vec<usize> = ["F", "M", "asian", "black", "white"].iter().map(|v| value_coordinate(101, 128, v)).collect();
    assert_eq!(got, vec![90, 40, 9, 28, 62]);
}

#[test]
fn demo_vendor_configs_load_without_value_collisions() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo");
    for name in ["vendor-a.toml", "vendor-b.toml", "vendor-c.toml"] {
        let v = SimulatedVendor::from_file(&demo.join(name)).unwrap();
        let axes: std::collections::BTreeSet<usize> = ["F", "M", "asian", "black", "white"]
            .iter()
            .map(|value| value_coordinate(v.config().seed, v.config().dim, value))
            .collect();
        assert_eq!(axes.len(), 5, "{name}: two attribute values share a direction");
    }
}
