//! harness::stats::mcnemar against reference values from statsmodels
//! (`mcnemar(table, exact=True)`), checked with mpmath where statsmodels is not
//! accurate enough (fixtures/mcnemar_reference.json, made by
//! fixtures/make_mcnemar_fixtures.py), plus property tests where no reference value is
//! needed.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::stats::mcnemar::{PairedTable, mcnemar_exact};

/// Agreement required: 1e-9 relative; values that both lie below 1e-300 (where scipy
/// and f64 underflow) agree absolutely.
const REL: f64 = 1e-9;
const UNDERFLOW: f64 = 1e-300;

fn rel_err(got: f64, want: f64) -> f64 {
    if got == want { 0.0 } else { (got - want).abs() / want.abs().max(got.abs()) }
}

/// One case of the fixture: `{"b": 3, "c": 5, "p": 0.7265625, "statsmodels": ..,
/// "reference": "statsmodels"}`. The fixture writes one flat object per line, so a
/// line-level reader suffices (harness has no JSON dependency, by design).
struct Case {
    b: u64,
    c: u64,
    p: f64,
    reference: String,
    line: String,
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let start = line.find(&format!("\"{key}\": ")).unwrap_or_else(|| panic!("no `{key}` in {line}")) + key.len() + 4;
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().trim_matches('"')
}

fn cases() -> Vec<Case> {
    let text = include_str!("fixtures/mcnemar_reference.json");
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("{\"b\":"))
        .map(|l| Case {
            b: field(l, "b").parse().expect("b is a count"),
            c: field(l, "c").parse().expect("c is a count"),
            p: field(l, "p").parse().expect("p is a number"),
            reference: field(l, "reference").to_string(),
            line: l.to_string(),
        })
        .collect()
}

#[test]
fn agrees_with_statsmodels_and_mpmath() {
    let cases = cases();
    assert!(cases.len() > 200, "fixture has {} cases", cases.len());
    let mut failures = Vec::new();
    let (mut worst, mut worst_line) = (0.0_f64, String::new());
    let mut underflow = 0;
    for case in &cases {
        let got = mcnemar_exact(case.b, case.c);
        let e = rel_err(got, case.p);
        if got.abs() < UNDERFLOW && case.p.abs() < UNDERFLOW {
            underflow += 1;
            continue;
        }
        if e > REL {
            failures.push(format!("{}\n    got {got:e}, want {:e}, rel err {e:e}", case.line, case.p));
        }
        if e > worst {
            (worst, worst_line) = (e, case.line.clone());
        }
    }
    let by_mpmath = cases.iter().filter(|c| c.reference == "mpmath").count();
    eprintln!(
        "{} cases ({by_mpmath} against mpmath, {underflow} below 1e-300); worst relative error {worst:e} at {worst_line}",
        cases.len()
    );
    assert!(failures.is_empty(), "{} of {} cases disagree:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // The fixture covers what it says it does.
    assert!(cases.iter().any(|c| c.b == 0 && c.c == 0));
    assert!(cases.iter().any(|c| c.b == c.c && c.b >= 100_000));
    assert!(cases.iter().any(|c| c.b + c.c >= 1_000_000));
}

#[test]
fn symmetric_in_b_and_c_and_bounded() {
    for b in 0..60u64 {
        for c in 0..60u64 {
            let p = mcnemar_exact(b, c);
            assert_eq!(p, mcnemar_exact(c, b), "b={b} c={c}");
            assert!((0.0..=1.0).contains(&p), "b={b} c={c} p={p}");
        }
    }
}

#[test]
fn more_imbalance_gives_smaller_p() {
    // With n = b + c fixed, p falls as the split moves away from n/2.
    for n in [10u64, 101, 5_000, 1_000_000] {
        let mut last = 1.0;
        for b in (0..=n / 2).rev().step_by((n / 40).max(1) as usize) {
            let p = mcnemar_exact(b, n - b);
            assert!(p <= last + 1e-15, "n={n} b={b}: {p} > {last}");
            last = p;
        }
    }
}

#[test]
fn concordant_trials_do_not_matter() {
    let a = PairedTable { both: 0, only_a: 3, only_b: 17, neither: 0 };
    let b = PairedTable { both: 1_000_000, only_a: 3, only_b: 17, neither: 5 };
    assert_eq!(a.mcnemar_exact(), b.mcnemar_exact());
    assert_eq!(a.mcnemar_exact(), mcnemar_exact(3, 17));
}
