use super::*;
use harness::model::benchmark::{MediaSource, Samples};
use harness::model::population::{Population, Subject};
use std::collections::{BTreeMap, HashSet};

/// Seven subjects: (ethnicity, sex, samples) =
/// s0 (a, F, 3), s1 (a, M, 2), s2 (a, F, 1), s3 (b, F, 2), s4 (b, M, 2), s5 (c, F, 3), s6 (c, M, 1).
/// Samples are numbered in table order: s0 = 0..3, s1 = 3..5, s2 = 5, s3 = 6..8, s4 = 8..10,
/// s5 = 10..13, s6 = 13.
fn small() -> Benchmark {
    let spec =
        [("a", "F", 3), ("a", "M", 2), ("a", "F", 1), ("b", "F", 2), ("b", "M", 2), ("c", "F", 3), ("c", "M", 1)];
    let mut samples = Samples::default();
    let mut subjects = Vec::new();
    for (s, (eth, sex, n)) in spec.iter().enumerate() {
        subjects.push(Subject { id: format!("s{s}"), attributes: vec![eth.to_string(), sex.to_string()] });
        for j in 0..*n {
            samples.ids.push(format!("s{s}-{j}"));
            samples.subject.push(s as u32);
            samples.media.push(MediaSource::Embedding(vec![s as f32, j as f32]));
        }
    }
    let provenance: BTreeMap<String, String> = [("ethnicity", "annotated"), ("sex", "self-declared")]
        .iter()
        .map(|(a, p)| (a.to_string(), p.to_string()))
        .collect();
    Benchmark {
        name: "small".into(),
        version: "1".into(),
        licence: "CC0-1.0".into(),
        content_hash: String::new(),
        population: Population { attributes: vec!["ethnicity".into(), "sex".into()], subjects, provenance },
        samples,
        protocols: Vec::new(),
    }
}

fn eth() -> Grouping {
    Grouping::parse("ethnicity").unwrap()
}

fn pairs(bench: &Benchmark, rule: NonMatedRule, seed: u64) -> Result<VerificationProtocol, BuildError> {
    let r = ProtocolRequest::Verification(VerificationRequest { name: "v".into(), non_mated: rule });
    match build(bench, &r, seed)?.protocol {
        Protocol::Verification(v) => Ok(v),
        _ => unreachable!(),
    }
}

fn rule(eligible: Eligible, grouping: Option<Grouping>, per_probe: Option<usize>) -> NonMatedRule {
    NonMatedRule { eligible, grouping, per_probe }
}

/// (mated, non-mated) pair counts by the probe's ethnicity, and the non-mated pairs whose
/// two subjects share an ethnicity.
fn counts(bench: &Benchmark, v: &VerificationProtocol) -> (BTreeMap<String, (usize, usize)>, usize) {
    let subject = |i: u32| bench.samples.subject[i as usize] as usize;
    let eth = |i: u32| bench.population.subjects[subject(i)].attributes[0].clone();
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut same = 0;
    for (&p, &r) in v.probe.iter().zip(&v.reference) {
        let e = out.entry(eth(p)).or_default();
        if subject(p) == subject(r) {
            e.0 += 1;
        } else {
            e.1 += 1;
            same += usize::from(eth(p) == eth(r));
        }
    }
    (out, same)
}

fn by_group(list: &[(&str, usize, usize)]) -> BTreeMap<String, (usize, usize)> {
    list.iter().map(|(g, m, n)| (g.to_string(), (*m, *n))).collect()
}

#[test]
fn verification_counts_match_hand_counts() {
    let b = small();
    // Probes (samples after the first): a 2+1+0 = 3, b 1+1 = 2, c 2+0 = 2; 7 mated pairs.
    let all = pairs(&b, rule(Eligible::All, None, None), 1).unwrap();
    // Every probe against the 6 other subjects' references.
    assert_eq!(counts(&b, &all).0, by_group(&[("a", 3, 18), ("b", 2, 12), ("c", 2, 12)]));
    let same = pairs(&b, rule(Eligible::SameGroup, Some(eth()), None), 1).unwrap();
    // a: 3 probes x 2 others; b: 2 x 1; c: 2 x 1.
    assert_eq!(counts(&b, &same), (by_group(&[("a", 3, 6), ("b", 2, 2), ("c", 2, 2)]), 10));
    let cross = pairs(&b, rule(Eligible::CrossGroup, Some(eth()), None), 1).unwrap();
    // a: 3 x 4 subjects elsewhere; b: 2 x 5; c: 2 x 5; none shares a group.
    assert_eq!(counts(&b, &cross), (by_group(&[("a", 3, 12), ("b", 2, 10), ("c", 2, 10)]), 0));
    let k = pairs(&b, rule(Eligible::All, None, Some(4)), 1).unwrap();
    assert_eq!(counts(&b, &k).0, by_group(&[("a", 3, 12), ("b", 2, 8), ("c", 2, 8)]));
    // Mated pairs: a probe against its own subject's first sample.
    assert_eq!((all.probe[0], all.reference[0]), (1, 0));
    let set: HashSet<(u32, u32)> = k.probe.iter().copied().zip(k.reference.iter().copied()).collect();
    assert_eq!(set.len(), k.probe.len(), "no pair twice");
}

#[test]
fn per_probe_references_are_distinct_and_seeded() {
    let b = small();
    let a = pairs(&b, rule(Eligible::All, None, Some(3)), 5).unwrap();
    assert_eq!(a, pairs(&b, rule(Eligible::All, None, Some(3)), 5).unwrap());
    let others: Vec<_> = (1..40).map(|s| pairs(&b, rule(Eligible::All, None, Some(3)), s).unwrap()).collect();
    assert!(others.iter().any(|o| o != &a), "the seed changes the draw");
}

#[test]
fn verification_shortfalls_name_the_group() {
    let b = small();
    let e = pairs(&b, rule(Eligible::SameGroup, Some(eth()), Some(2)), 1).unwrap_err();
    let BuildError::Short(short) = &e else { panic!("{e}") };
    assert_eq!(short.len(), 2, "{e}");
    assert_eq!((short[0].needed, short[0].available), (2, 1));
    assert!(e.to_string().contains("group 'b'") && e.to_string().contains("short by 1"), "{e}");
    assert!(matches!(pairs(&b, rule(Eligible::SameGroup, None, None), 1), Err(BuildError::Invalid(_))));
    assert!(matches!(pairs(&b, rule(Eligible::All, Some(eth()), None), 1), Err(BuildError::Invalid(_))));
    let unknown = rule(Eligible::SameGroup, Some(Grouping::parse("age").unwrap()), None);
    assert!(pairs(&b, unknown, 1).unwrap_err().to_string().contains("unknown attribute `age`"));
}

fn search(bench: &Benchmark, r: ProtocolRequest, seed: u64) -> Result<SearchProtocol, BuildError> {
    match build(bench, &r, seed)?.protocol {
        Protocol::Identification(s) | Protocol::Watchlist(s) => Ok(s),
        _ => unreachable!(),
    }
}

fn id_request(sizes: &[usize], non_mated: Option<usize>, selection: Selection) -> ProtocolRequest {
    ProtocolRequest::Identification(IdentificationRequest {
        name: "i".into(),
        gallery_sizes: sizes.to_vec(),
        candidates: 3,
        non_mated_subjects: non_mated,
        selection,
    })
}

#[test]
fn identification_counts_and_shortfalls() {
    let b = small();
    let s = search(&b, id_request(&[2, 4], None, Selection::Random), 3).unwrap();
    let subject = |i: &u32| b.samples.subject[*i as usize];
    assert_eq!(s.gallery.len(), 4);
    let enrolled: HashSet<u32> = s.gallery.iter().map(subject).collect();
    assert_eq!(enrolled.len(), 4);
    // Mated searches: every other sample of each enrolled subject; non-mated: every sample
    // of the other 3 subjects.
    let samples_of = |set: &HashSet<u32>| b.samples.subject.iter().filter(|s| set.contains(s)).count();
    assert_eq!(s.mated.len(), samples_of(&enrolled) - 4);
    assert!(s.mated.iter().all(|m| enrolled.contains(&subject(m)) && !s.gallery.contains(m)));
    let searchers: HashSet<u32> = s.non_mated.iter().map(subject).collect();
    assert_eq!(searchers.len(), 3);
    assert!(searchers.is_disjoint(&enrolled));
    assert_eq!(s.non_mated.len(), samples_of(&searchers));
    // Only s0, s1, s3, s4, s5 have a second sample to search with.
    let e = search(&b, id_request(&[2, 6], None, Selection::Random), 3).unwrap_err();
    assert!(e.to_string().contains("6 needed, 5 available (short by 1)"), "{e}");
    let e = search(&b, id_request(&[6], None, Selection::Balanced(eth())), 3).unwrap_err();
    assert!(e.to_string().contains("group 'c' of ethnicity: 2 needed, 1 available (short by 1)"), "{e}");
    // Five subjects enrolled leave s2 and s6, both with one sample.
    let e = search(&b, id_request(&[5], Some(3), Selection::Random), 3).unwrap_err();
    assert!(e.to_string().contains("non-mated searchers (subjects not enrolled): 3 needed, 2 available"), "{e}");
    for bad in [vec![], vec![0], vec![3, 2], vec![2, 2]] {
        assert!(matches!(search(&b, id_request(&bad, None, Selection::Random), 1), Err(BuildError::Invalid(_))));
    }
}

fn watch(size: usize, passes: usize, crowd: usize) -> ProtocolRequest {
    ProtocolRequest::Watchlist(WatchlistRequest {
        name: "w".into(),
        size,
        passes_per_subject: passes,
        crowd,
        candidates: 1,
        selection: Selection::Random,
    })
}

#[test]
fn watchlist_counts_and_shortfalls() {
    let b = small();
    // Only s0 and s5 have 3 samples: one to enrol, two passes.
    let w = search(&b, watch(2, 2, 8), 1).unwrap();
    let mut gallery = w.gallery.clone();
    gallery.sort_unstable();
    assert_eq!((gallery, w.mated.len(), w.non_mated.len(), w.gallery_sizes), (vec![0, 10], 4, 8, vec![2]));
    // Passes are other samples of the listed subjects; the crowd is everyone else's samples.
    assert!(w.mated.iter().all(|&m| [1, 2, 11, 12].contains(&m)));
    assert_eq!(w.non_mated, [3, 4, 5, 6, 7, 8, 9, 13]);
    let e = search(&b, watch(3, 2, 9), 1).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(
            "watchlist subjects (subjects with 3 or more samples: one enrolled, 2 passes): 3 needed, 2 available"
        ),
        "{text}"
    );
    let e = search(&b, watch(2, 2, 9), 1).unwrap_err();
    assert!(
        e.to_string().contains("crowd faces (samples of subjects not on the watchlist): 9 needed, 8 available"),
        "{e}"
    );
}

#[test]
fn composition_parses_and_is_checked() {
    let s = Selection::parse_composition("ethnicity=a:0.5,b:0.25,c:0.25").unwrap();
    assert_eq!(
        s,
        Selection::Composition {
            grouping: eth(),
            shares: vec![("a".into(), 0.5), ("b".into(), 0.25), ("c".into(), 0.25)]
        }
    );
    for bad in
        ["ethnicity", "ethnicity=a:0.5,b:0.4", "ethnicity=a:x", "ethnicity=a:1.5,b:-0.5", "ethnicity=a:0.5,a:0.5"]
    {
        assert!(Selection::parse_composition(bad).is_err(), "{bad}");
    }
    let b = small();
    let s = Selection::parse_composition("ethnicity=a:0.5,z:0.5").unwrap();
    let e = search(&b, id_request(&[2], None, s), 1).unwrap_err();
    assert!(e.to_string().contains("no group `z`"), "{e}");
}

#[test]
fn seats_keep_every_prefix_near_its_share() {
    for shares in [vec![0.2, 0.3, 0.5], vec![1.0 / 3.0; 3], vec![0.05, 0.15, 0.8], vec![0.1, 0.0, 0.9]] {
        let order = seats(&shares, 500);
        let mut have = vec![0usize; shares.len()];
        for (i, &g) in order.iter().enumerate() {
            have[g] += 1;
            for (h, s) in have.iter().zip(&shares) {
                assert!((*h as f64 - s * (i + 1) as f64).abs() < 1.0, "{shares:?} at {}: {have:?}", i + 1);
            }
        }
    }
}

const SPEC: &str = r#"
[population]
name = "larger"
seed = 3
subjects = 400
samples_per_subject = 3

[[attributes]]
name = "ethnicity"
provenance = "annotated"
categories = ["asian", "black", "white"]
shares = [1, 1, 2]
"#;

fn larger() -> Benchmark {
    let spec = crate::synthetic::parse_spec(SPEC, std::path::Path::new("spec.toml")).unwrap();
    crate::synthetic::generate(&spec).unwrap()
}

#[test]
fn nested_galleries_keep_the_composition() {
    let b = larger();
    let s = Selection::parse_composition("ethnicity=asian:0.2,black:0.3,white:0.5").unwrap();
    let p = search(&b, id_request(&[20, 100, 200], Some(60), s), 9).unwrap();
    let eth = |sample: u32| b.population.subjects[b.samples.subject[sample as usize] as usize].attributes[0].clone();
    for n in [20, 100, 200] {
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for &g in &p.gallery[..n] {
            *count.entry(eth(g)).or_default() += 1;
        }
        let want = |share: f64| (share * n as f64).round() as usize;
        assert_eq!(count["asian"], want(0.2), "{n}");
        assert_eq!(count["black"], want(0.3), "{n}");
        assert_eq!(count["white"], want(0.5), "{n}");
    }
    let mut searchers: BTreeMap<String, HashSet<u32>> = BTreeMap::new();
    for &s in &p.non_mated {
        searchers.entry(eth(s)).or_default().insert(b.samples.subject[s as usize]);
    }
    let sizes: Vec<usize> = searchers.values().map(HashSet::len).collect();
    assert_eq!(sizes, [12, 18, 30]);
}

#[test]
fn same_seed_same_protocol_other_seed_another() {
    let b = larger();
    let r = id_request(&[50, 150], Some(100), Selection::Balanced(Grouping::parse("ethnicity").unwrap()));
    let a = build(&b, &r, 11).unwrap();
    assert_eq!(a, build(&b, &r, 11).unwrap());
    assert_ne!(a.protocol, build(&b, &r, 12).unwrap().protocol);
    assert!(a.recipe.starts_with("seed 11; identification"), "{}", a.recipe);
}

#[test]
fn a_protocol_that_does_not_load_back_is_rolled_back() {
    let f = crate::testing::Fixture::tiny();
    let manifest = f.read("benchmark.toml");
    let mut b = crate::load::load(f.dir()).unwrap();
    let r = ProtocolRequest::Verification(VerificationRequest {
        name: "extra".into(),
        non_mated: rule(Eligible::All, None, None),
    });
    let built = build(&b, &r, 1).unwrap();
    // The in-memory benchmark names a sample the samples table does not have.
    b.samples.ids[0] = "ghost".into();
    let e = add_to_benchmark(f.dir(), &b, &built).unwrap_err();
    assert!(matches!(e, BuildError::NotValid(_)) && !e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("unknown sample"), "{e}");
    assert_eq!(f.read("benchmark.toml"), manifest, "the manifest is restored");
    let left: Vec<String> = std::fs::read_dir(f.dir().join("protocols"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("extra") || n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(std::fs::read_dir(f.dir()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
    // Written properly, it loads back with the seed in the manifest.
    let b = crate::load::load(f.dir()).unwrap();
    assert_eq!(add_to_benchmark(f.dir(), &b, &built).unwrap(), ["protocols/extra-pairs.csv"]);
    assert_eq!(crate::load::load(f.dir()).unwrap().protocols.len(), 4);
    assert!(f.read("benchmark.toml").contains("# Built by `verity protocol` (datasets::protocol_builder), seed 1."));
    assert!(matches!(add_to_benchmark(f.dir(), &b, &built), Err(BuildError::Exists(_))));
}
