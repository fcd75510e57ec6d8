//! harness::stats::logistic against statsmodels' GLM Binomial with the cluster-robust
//! covariance (fixtures/logistic_reference.txt, made by
//! fixtures/make_logistic_fixtures.py): coefficients, standard errors and the whole
//! covariance matrix to 1e-6 relative.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::stats::logistic::{Design, fit};

struct Case {
    name: String,
    design: Design,
    coef: Vec<f64>,
    se: Vec<f64>,
    cov: Vec<f64>,
}

fn numbers(rest: &[&str]) -> Vec<f64> {
    rest.iter().map(|v| v.parse().unwrap()).collect()
}

fn cases() -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for line in include_str!("fixtures/logistic_reference.txt").lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first().copied() {
            Some("case") => out.push(Case {
                name: words[1].to_string(),
                design: Design::default(),
                coef: vec![],
                se: vec![],
                cov: vec![],
            }),
            Some("names") => {
                out.last_mut().unwrap().design = Design::new(words[1..].iter().map(|s| s.to_string()).collect())
            }
            Some("row") => {
                let x = numbers(&words[3..]);
                out.last_mut().unwrap().design.push(&x, words[1] == "1", words[2].parse().unwrap());
            }
            Some("coef") => out.last_mut().unwrap().coef = numbers(&words[1..]),
            Some("se") => out.last_mut().unwrap().se = numbers(&words[1..]),
            Some("cov") => out.last_mut().unwrap().cov = numbers(&words[1..]),
            _ => {}
        }
    }
    out
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-6 * want.abs().max(1e-3)
}

#[test]
fn coefficients_and_clustered_errors_match_statsmodels() {
    let cases = cases();
    assert_eq!(cases.len(), 5);
    for c in &cases {
        let f = fit(&c.design).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(f.coefficients.len(), c.coef.len(), "{}", c.name);
        for (j, (got, want)) in f.coefficients.iter().zip(&c.coef).enumerate() {
            assert!(close(*got, *want), "{} coefficient {j}: {got} vs statsmodels {want}", c.name);
        }
        for (j, (got, want)) in f.standard_errors.iter().zip(&c.se).enumerate() {
            assert!(close(*got, *want), "{} standard error {j}: {got} vs statsmodels {want}", c.name);
        }
        for (j, (got, want)) in f.covariance.iter().zip(&c.cov).enumerate() {
            assert!(
                (got - want).abs() <= 1e-6 * c.cov.iter().map(|v| v.abs()).fold(0.0, f64::max),
                "{} cov {j}",
                c.name
            );
        }
    }
}

#[test]
fn one_trial_per_subject_gives_as_many_clusters_as_rows() {
    let c = cases().into_iter().find(|c| c.name == "one-trial-each").unwrap();
    let f = fit(&c.design).unwrap();
    assert_eq!(f.clusters, f.rows);
}
