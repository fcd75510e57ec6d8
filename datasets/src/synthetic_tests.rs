use super::*;
use std::collections::{BTreeMap, HashSet};

const SPEC: &str = r#"
[population]
name = "tiny"
seed = 5
subjects = 600
samples_per_subject = 3

[[attributes]]
name = "sex"
provenance = "self-declared"
categories = ["F", "M"]
shares = [1, 1]

[[attributes]]
name = "ethnicity"
provenance = "annotated"
categories = ["asian", "black", "white"]
shares = [1, 1, 2]

[protocols.verification]
subjects = 120
non_mated_per_probe = 2
cross_group_per_probe = 1

[protocols.identification]
gallery_sizes = [40, 200]
candidates = 5
non_mated_subjects = 100

[protocols.watchlist]
size = 300
candidates = 3
"#;

fn spec(text: &str) -> PopulationSpec {
    parse_spec(text, Path::new("spec.toml")).unwrap()
}

fn cell_of(b: &Benchmark, sample: u32) -> String {
    b.population.subjects[b.samples.subject[sample as usize] as usize].attributes.join("×")
}

fn count_by_cell(b: &Benchmark, samples: &[u32]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for &s in samples {
        *out.entry(cell_of(b, s)).or_insert(0) += 1;
    }
    out
}

fn search(b: &Benchmark, i: usize) -> &SearchProtocol {
    match &b.protocols[i] {
        Protocol::Identification(s) | Protocol::Watchlist(s) => s,
        Protocol::Verification(_) => panic!("not a search protocol"),
    }
}

#[test]
fn same_seed_same_benchmark_other_seed_differs() {
    let a = generate(&spec(SPEC)).unwrap();
    assert_eq!(a, generate(&spec(SPEC)).unwrap());
    let b = generate(&spec(SPEC).with_seed(6)).unwrap();
    assert_ne!(a.samples.media, b.samples.media);
    assert_ne!(a.protocols, b.protocols);
}

#[test]
fn cells_follow_the_shares() {
    let b = generate(&spec(SPEC)).unwrap();
    let mut subjects = BTreeMap::new();
    for s in &b.population.subjects {
        *subjects.entry(s.attributes.join("×")).or_insert(0) += 1;
    }
    // sex 1:1, ethnicity 1:1:2 of 600 subjects.
    let expected: BTreeMap<String, usize> =
        [("F×asian", 75), ("F×black", 75), ("F×white", 150), ("M×asian", 75), ("M×black", 75), ("M×white", 150)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    assert_eq!(subjects, expected);
    assert_eq!(b.samples.len(), 1800);
    assert_eq!(b.population.provenance["ethnicity"], "annotated");
}

#[test]
fn media_is_blind_to_ids_and_shows_the_cell() {
    let b = generate(&spec(SPEC)).unwrap();
    let mut identities = HashSet::new();
    for (i, m) in b.samples.media.iter().enumerate() {
        let MediaSource::Inline(bytes) = m else { panic!("media is inline") };
        let face = SyntheticFace::decode(bytes).unwrap();
        assert_eq!(face.appearance, cell_of(&b, i as u32));
        let subject = &b.population.subjects[b.samples.subject[i] as usize].id;
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains(subject.trim_start_matches("subject-")) || subject.len() < 12);
        identities.insert((face.identity, b.samples.subject[i]));
    }
    // One identity per subject, and distinct subjects have distinct identities.
    assert_eq!(identities.len(), 600);
    assert_eq!(identities.iter().map(|(id, _)| id).collect::<HashSet<_>>().len(), 600);
}

#[test]
fn protocol_counts_per_group_match_the_spec() {
    let b = generate(&spec(SPEC)).unwrap();
    let Protocol::Verification(v) = &b.protocols[0] else { panic!() };
    let mated: Vec<usize> = (0..v.probe.len())
        .filter(|&i| b.samples.subject[v.probe[i] as usize] == b.samples.subject[v.reference[i] as usize])
        .collect();
    // 120 subjects x 3 pairs each, 15 subjects per (sex, asian|black) cell and 30 per white cell.
    assert_eq!(mated.len(), 360);
    let mated_probes: Vec<u32> = mated.iter().map(|&i| v.probe[i]).collect();
    let per_cell = count_by_cell(&b, &mated_probes);
    assert_eq!(per_cell["F×asian"], 45);
    assert_eq!(per_cell["M×white"], 90);
    let (mut same, mut cross) = (0, 0);
    for i in 0..v.probe.len() {
        assert_ne!(v.probe[i], v.reference[i]);
        let (p, r) = (cell_of(&b, v.probe[i]), cell_of(&b, v.reference[i]));
        let non_mated = b.samples.subject[v.probe[i] as usize] != b.samples.subject[v.reference[i] as usize];
        if non_mated && p == r {
            same += 1;
        } else if non_mated {
            cross += 1;
        }
    }
    assert_eq!((same, cross), (360 * 2, 360));

    let id = search(&b, 1);
    assert_eq!(id.gallery.len(), 200);
    assert_eq!(id.gallery_sizes, vec![40, 200]);
    assert_eq!(id.mated.len(), 400);
    assert_eq!(id.non_mated.len(), 300);
    let first40 = count_by_cell(&b, &id.gallery[..40]);
    assert_eq!((first40["F×asian"], first40["F×white"]), (5, 10), "nested gallery keeps the mix: {first40:?}");
    let gallery_cells = count_by_cell(&b, &id.gallery);
    assert_eq!((gallery_cells["M×black"], gallery_cells["M×white"]), (25, 50));
    let non_mated_cells = count_by_cell(&b, &id.non_mated);
    assert_eq!((non_mated_cells["F×black"], non_mated_cells["F×white"]), (12 * 3 + 3, 25 * 3));

    let w = search(&b, 2);
    let enrolled: HashSet<u32> = w.gallery.iter().map(|&s| b.samples.subject[s as usize]).collect();
    assert_eq!(enrolled.len(), 300);
    assert_eq!(w.mated.len(), 600);
    assert_eq!(w.non_mated.len(), 900);
    assert!(w.non_mated.iter().all(|&s| !enrolled.contains(&b.samples.subject[s as usize])));
    assert!(w.mated.iter().all(|&s| enrolled.contains(&b.samples.subject[s as usize]) && !w.gallery.contains(&s)));
    assert_eq!(count_by_cell(&b, &w.non_mated)["M×white"], 75 * 3);
}

#[test]
fn bad_spec_names_the_key_and_line() {
    let err = |text: &str| parse_spec(text, Path::new("spec.toml")).unwrap_err().to_string();

    let e = err(&SPEC.replace("provenance = \"annotated\"", "provenance = \"guessed\""));
    assert!(e.contains("spec.toml") && e.contains("`attributes.1.provenance`") && e.contains("line 16"), "{e}");

    let e = err(&SPEC.replace("shares = [1, 1, 2]", "shares = [1, 0, 2]"));
    assert!(e.contains("`attributes.1.shares.1`") && e.contains("line 18, column 14"), "{e}");

    let e = err(&SPEC.replace("gallery_sizes = [40, 200]", "gallery_sizes = [200, 40]"));
    assert!(e.contains("`protocols.identification.gallery_sizes`") && e.contains("line 26"), "{e}");

    let e = err(&SPEC.replace("candidates = 3", "candidate = 3"));
    assert!(e.contains("`candidate`") && e.contains("line 32"), "{e}");

    let e = err(&SPEC.replace("subjects = 600", "subjects = \"many\""));
    assert!(e.contains("`population.subjects`") || e.contains("line 5"), "{e}");

    let e = err(&SPEC.replace("subjects = 600", "subjects = 8"));
    assert!(e.contains("every group needs at least 2"), "{e}");
}

#[test]
fn brightness_is_drawn_into_the_media_and_the_column_and_checked() {
    let lit = format!("{SPEC}\n[capture.brightness]\nmedian = 128\nspread = 0.2\nmedian_by_value = {{ black = 96 }}\n");
    let b = generate(&spec(&lit)).unwrap();
    let column = b.samples.capture("brightness").unwrap();
    let (mut black, mut other, mut black_enrolment) = (Vec::new(), Vec::new(), Vec::new());
    for (i, media) in b.samples.media.iter().enumerate() {
        let MediaSource::Inline(bytes) = media else { panic!("inline media") };
        let face = SyntheticFace::decode(bytes).unwrap();
        let light = face.light.unwrap();
        assert_eq!(column.values[i], light.to_string(), "the column is the media's");
        assert!((1..=255).contains(&light));
        let is_black = cell_of(&b, i as u32).contains("black");
        if i % 3 == 0 {
            // A subject's first sample (enrolment) is drawn around `median` whatever its cell.
            if is_black {
                black_enrolment.push(f64::from(light));
            }
        } else if is_black {
            black.push(f64::from(light));
        } else {
            other.push(f64::from(light));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    // Log-normal around 96 and 128 with spread 0.2: the sample medians are within a few
    // units of them (hundreds of captures each).
    assert!((median(&mut black) - 96.0).abs() <= 6.0, "{}", median(&mut black));
    assert!((median(&mut other) - 128.0).abs() <= 6.0, "{}", median(&mut other));
    assert!((median(&mut black_enrolment) - 128.0).abs() <= 8.0, "{}", median(&mut black_enrolment));
    // Without the section the faces and the samples table are exactly as before.
    let plain = generate(&spec(SPEC)).unwrap();
    assert!(plain.samples.capture("brightness").is_none());
    let face = |m: &MediaSource| match m {
        MediaSource::Inline(bytes) => SyntheticFace::decode(bytes).unwrap(),
        _ => panic!("inline media"),
    };
    for (a, p) in b.samples.media.iter().zip(&plain.samples.media) {
        assert_eq!(SyntheticFace { light: None, ..face(a) }, face(p), "only the light is added");
    }
    assert_eq!(b.protocols, plain.protocols);
    let err = |text: &str| parse_spec(text, Path::new("spec.toml")).unwrap_err().to_string();
    let e = err(&lit.replace("median = 128", "median = 300"));
    assert!(e.contains("`capture.brightness.median`") && e.contains("300 is not a mean luma from 1 to 255"), "{e}");
    let e = err(&lit.replace("black = 96", "purple = 96"));
    assert!(e.contains("`purple` is not a category of any attribute"), "{e}");
}
