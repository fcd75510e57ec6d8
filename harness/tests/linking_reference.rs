//! harness::metrics::linking against the independent reference of
//! fixtures/make_linking_fixtures.py (scikit-learn's pair confusion matrix, and plain
//! Python face by face and pair by pair): fixtures/linking_reference.json.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::metrics::linking::{BCubed, Faces, PairCounts, clusters_at, linking};
use serde_json::Value;

fn codes(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

fn counts(v: &Value) -> PairCounts {
    let n = |k: &str| v[k].as_u64().unwrap();
    PairCounts { mated: n("mated"), linked: n("linked"), correct: n("correct") }
}

/// BCubed values agree to 1e-12 (the two sides sum the same fractions in other orders).
fn same_bcubed(ours: Option<BCubed>, theirs: &Value, what: &str) {
    match ours {
        None => assert!(theirs.is_null(), "{what}: reference has {theirs}"),
        Some(b) => {
            assert_eq!(b.faces, theirs["faces"].as_u64().unwrap(), "{what}");
            for (x, key) in [(b.precision, "precision"), (b.recall, "recall"), (b.f, "f")] {
                let y = theirs[key].as_f64().unwrap();
                assert!((x - y).abs() < 1e-12, "{what} {key}: {x} vs {y}");
            }
        }
    }
}

#[test]
fn linking_matches_the_reference() {
    let json: Value = serde_json::from_str(include_str!("fixtures/linking_reference.json")).unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let seed = case["seed"].as_u64().unwrap();
        let (identity, cluster, group) = (codes(&case["identity"]), codes(&case["cluster"]), codes(&case["group"]));
        let groups = case["groups"].as_u64().unwrap() as usize;
        let l = linking(&Faces { identity: &identity, cluster: &cluster, group: &group, groups });
        assert_eq!(l.all, counts(&case["all"]), "case {seed}");
        let by_group: Vec<PairCounts> = case["by_group"].as_array().unwrap().iter().map(counts).collect();
        assert_eq!(l.by_group, by_group, "case {seed}");
        for g in 0..groups {
            for h in g + 1..groups {
                assert_eq!(l.cross[g][h], case["cross"][g][h].as_u64().unwrap(), "case {seed} cross {g} {h}");
            }
        }
        same_bcubed(l.bcubed_all, &case["bcubed_all"], &format!("case {seed} all"));
        for g in 0..groups {
            same_bcubed(l.bcubed_by_group[g], &case["bcubed_by_group"][g], &format!("case {seed} group {g}"));
        }
        let n = |k: &str| case[k].as_u64().unwrap();
        assert_eq!(
            (l.split_people, l.splits, l.merged_clusters, l.merges),
            (n("split_people"), n("splits"), n("merged_clusters"), n("merges")),
            "case {seed}"
        );
        let splits: Vec<u64> = codes(&case["splits_by_group"]).into_iter().map(u64::from).collect();
        assert_eq!(l.splits_by_group, splits, "case {seed}");

        let pairs: Vec<(u32, u32, f64)> = case["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32, p[2].as_f64().unwrap()))
            .collect();
        let threshold = case["threshold"].as_f64().unwrap();
        assert_eq!(clusters_at(identity.len(), &pairs, threshold), codes(&case["single_linkage"]), "case {seed}");
    }
}

#[test]
fn a_perfect_prediction_and_one_cluster_for_all() {
    let identity = [0, 0, 1, 2, 2, 2];
    let group = [0, 0, 1, 0, 0, 0];
    let l = linking(&Faces { identity: &identity, cluster: &identity, group: &group, groups: 2 });
    assert_eq!(l.all, PairCounts { mated: 4, linked: 4, correct: 4 });
    let b = l.bcubed_all.unwrap();
    assert_eq!((b.precision, b.recall, b.f), (1.0, 1.0, 1.0));
    assert_eq!((l.splits, l.merges), (0, 0));
    // Everyone in one cluster: recall 1, every pair linked, 2 people merged in.
    let one = [5; 6];
    let l = linking(&Faces { identity: &identity, cluster: &one, group: &group, groups: 2 });
    assert_eq!(l.all, PairCounts { mated: 4, linked: 15, correct: 4 });
    assert_eq!(l.all.recall(), Some(1.0));
    assert_eq!(l.bcubed_all.unwrap().recall, 1.0);
    assert_eq!((l.merged_clusters, l.merges), (1, 2));
    // Group 1's one face: no pair of its own, linked to group 0's five across groups.
    assert_eq!(l.by_group[1], PairCounts { mated: 0, linked: 0, correct: 0 });
    assert_eq!(l.by_group[1].precision(), None);
    assert_eq!(l.cross[0][1], 5);
}
