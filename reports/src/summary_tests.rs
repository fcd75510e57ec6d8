use super::*;
use crate::fixture;

#[test]
fn summary_has_the_expected_numbers() {
    let md = markdown(&fixture::results());
    let has = |s: &str| assert!(md.contains(s), "missing {s:?} in\n{md}");
    has(
        "Benchmark **synthetic-faces** version 1.2 (licence CC-BY-4.0), content hash `ab12cd34`: 300 subjects, 1,200 samples.",
    );
    has("Demographic labels: sex: self-declared.");
    has("two-sided 95% Wilson score interval");
    has("| watch | watchlist | 1,000 | 61,000 | 1,000 | `0f0e0d` |");
    has("| one-to-one | verification | 1,000 | 10,000 | — | `a1b2c3` |");
    has("## acme 2.1");
    has("At threshold 0.6 (the vendor's declared threshold `operational`), gallery of 1,000 subjects, TPIR at rank 5.");
    has("| sex | female | 89.1% (891/1,000; 87.0%–90.9%) | 0.017% (7/41,000; 0.0083%–0.035%) | 1 in 5,860 |");
    has("| sex | male | undefined (no trials) | 0% (0/20,000; 0%–0.019%) | none observed |");
    has("| all | all | 0.030% (3/10,000; 0.010%–0.088%) | 2.5% (25/1,000; 1.7%–3.7%) |");
    has("| FTE | sex | male | undefined (no trials) |");
    has("verity run --benchmark b --vendor acme.toml --out out");
    assert!(!md.contains("inf") && !md.contains("NaN"));
    // The grid row at 0.58 is not the headline.
    assert!(!md.contains("900/1,000"));
}

#[test]
fn without_declared_threshold_the_middle_of_the_grid_is_used() {
    let mut results = fixture::results();
    results.vendors[0].vendor.thresholds.clear();
    results.config.thresholds = vec![0.5, 0.6, 0.7];
    let md = markdown(&results);
    assert!(md.contains("At threshold 0.6 (the middle of the threshold grid)"), "{md}");
}

#[test]
fn tpir_from_fnir_when_only_fnir_was_computed() {
    let mut results = fixture::results();
    let rates = &mut results.vendors[0].protocols[0].rates;
    rates.retain(|r| r.metric != Metric::Tpir);
    rates.push(fixture::row(Metric::Fnir, Some(1000), Some(1), Some(0.6), "grid", ("sex", "female"), (109, 1000)));
    let md = markdown(&results);
    assert!(md.contains("| sex | female | 89.1% (891/1,000; 87.0%–90.9%) |"), "{md}");
}
