use super::*;
use crate::load::load;
use crate::testing::Fixture;

fn row<'a>(p: &'a ProtocolCounts, grouping: &str, group: &str) -> &'a ProtocolGroup {
    let g = p.groupings.iter().find(|g| g.grouping == grouping).expect("grouping");
    g.groups.iter().find(|r| r.group == group).expect("group")
}

#[test]
fn counts_on_the_tiny_fixture_match_hand_counts() {
    let f = Fixture::tiny();
    let b = load(f.dir()).unwrap();
    let i = inspect(&b, f.dir(), &InspectOptions::default()).unwrap();
    let groupings: Vec<&str> = i.population.iter().map(|g| g.grouping.as_str()).collect();
    assert_eq!(groupings, ["sex", "ethnicity", "sex×ethnicity"]);
    let sex = &i.population[0].groups;
    assert_eq!((sex[0].group.as_str(), sex[0].subjects, sex[0].samples), ("F", 2, 4));

    // Pairs: a1-a2 (mated, F x), a1-b1 (F x against F y), c1-c2 (mated, M x), c1-d2 (M x against M y).
    let v = &i.protocols[0];
    let counts = |grouping, group| {
        let r = &row(v, grouping, group).counts;
        (r.mated, r.non_mated, r.non_mated_cross_group)
    };
    assert_eq!(counts("sex", "F"), (1, 1, Some(0)));
    assert_eq!(counts("ethnicity", "x"), (2, 0, Some(2)));
    assert_eq!(counts("ethnicity", "y"), (0, 0, Some(0)));
    assert_eq!(v.totals.mated + v.totals.non_mated, 4);

    // Gallery a1, b1 (sizes 1, 2); mated a2, b2; non-mated c1, d1.
    let id = &i.protocols[1];
    let x = &row(id, "ethnicity", "x").counts;
    assert_eq!(
        (x.gallery_subjects.clone(), x.mated_per_gallery_size.clone(), x.non_mated),
        (Some(vec![1, 1]), Some(vec![1, 1]), 1)
    );
    let y = &row(id, "ethnicity", "y").counts;
    assert_eq!(
        (y.gallery_subjects.clone(), y.mated_per_gallery_size.clone(), y.non_mated),
        (Some(vec![0, 1]), Some(vec![0, 1]), 1)
    );
    assert_eq!(row(id, "sex", "M").counts.mated, 0);

    // Watchlist c1; pass c2; crowd a2, b2, d2.
    let w = &i.protocols[2];
    let m = &row(w, "sex", "M").counts;
    assert_eq!(
        (m.gallery_subjects.clone(), m.mated, m.non_mated, m.mated_per_gallery_size.clone()),
        (Some(vec![1]), 1, 1, None)
    );
    assert_eq!(row(w, "sex", "F").counts.non_mated, 2);

    // Embeddings: no image properties.
    assert_eq!((i.images.status, i.benchmark.media), ("none", "embeddings"));
    // Tiny counts cannot detect a doubling.
    let d = &row(v, "sex", "F").false_positive;
    assert_eq!((d.metric, d.compared_with.as_deref(), d.enough), ("fmr", Some("M"), false));
    assert!(!i.warnings.is_empty());
}

#[test]
fn large_counts_are_enough() {
    let labels = vec!["a".to_string(), "b".to_string()];
    let o = InspectOptions::default();
    let d = detectability("fnir", 0.1, &[2000, 3000], &labels, 0, &o);
    assert!(d.enough, "{d:?}");
    assert!(d.minimum_detectable_ratio.unwrap() < 1.5);
    assert_eq!(d.compared_with.as_deref(), Some("b"));
    let d = detectability("fpir", 1e-3, &[200, 3000], &labels, 0, &o);
    assert!(!d.enough && d.minimum_detectable_ratio.unwrap_or(f64::INFINITY) > 2.0, "{d:?}");
    let d = detectability("fpir", 1e-3, &[0, 3000], &labels, 0, &o);
    assert_eq!(d.note.as_deref(), Some("no trials"));
}

#[test]
fn quartiles_interpolate_like_numpy() {
    // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) = [2, 3, 4]
    let s = images::Spread::of(&mut [10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3, s.iqr), (2.0, 3.0, 4.0, 2.0));
    // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) = [1.75, 2.5, 3.25]
    let s = images::Spread::of(&mut [4.0, 3.0, 2.0, 1.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
    assert!(images::Spread::of(&mut []).is_none());
}

#[test]
fn bad_options_are_refused() {
    let f = Fixture::tiny();
    let b = load(f.dir()).unwrap();
    let mut o = InspectOptions::default();
    o.expected.fpir = 0.0;
    assert!(inspect(&b, f.dir(), &o).is_err());
    let o = InspectOptions { ratio: 1.0, ..InspectOptions::default() };
    assert!(inspect(&b, f.dir(), &o).is_err());
    let o = InspectOptions { groupings: vec![Grouping::parse("age").unwrap()], ..InspectOptions::default() };
    assert!(inspect(&b, f.dir(), &o).unwrap_err().to_string().contains("unknown attribute `age`"));
}
