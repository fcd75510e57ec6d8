//! harness::stats against reference values from scipy.stats and statsmodels
//! (fixtures/stats_reference.txt, made by fixtures/make_stats_fixtures.py), plus
//! property tests where no reference value is needed.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap fails the test

use harness::stats::{
    Alternative, Bound, PowerMethod, chi_squared_homogeneity, clopper_pearson, difference_newcombe, exact_power,
    fisher_exact, holm, minimum_detectable_ratio, ratio_log_adjusted, wilson, zero_error_upper_bound,
};

/// Agreement required: 1e-9 relative. Quantities that may be exactly 0 or cross it
/// (differences, adjusted p-values, and Wilson's lower bound at k = 0, which verity
/// sets to exactly 0 where statsmodels leaves ~1e-17 of rounding) may instead agree to
/// 1e-12 absolute; Clopper-Pearson bounds and p-values are held to the relative
/// tolerance however small, down to 1e-300 (scipy flushes chi-squared tails below
/// ~1e-300 to 0; verity returns the subnormal value).
const REL: f64 = 1e-9;
const ABS_NEAR_ZERO: f64 = 1e-12;
const UNDERFLOW: f64 = 1e-300;

fn rel_err(got: f64, want: f64) -> f64 {
    if got == want { 0.0 } else { (got - want).abs() / want.abs().max(got.abs()) }
}

struct Tally {
    /// Per kind: the worst relative error and the fixture line it came from.
    worst: Vec<(String, f64, String)>,
    failures: Vec<String>,
    cases: usize,
    /// Values accepted by the near-zero or underflow rule rather than relatively.
    near_zero: usize,
}

impl Tally {
    fn check(&mut self, kind: &str, line: &str, got: f64, want: f64, abs_ok: bool) {
        let e = rel_err(got, want);
        let ok = e <= REL
            || (abs_ok && (got - want).abs() <= ABS_NEAR_ZERO)
            || (got.abs() < UNDERFLOW && want.abs() < UNDERFLOW);
        if !ok {
            self.failures.push(format!("{line}\n    got {got:e}, want {want:e}, rel err {e:e}"));
        }
        if ok && e > REL {
            self.near_zero += 1;
            return;
        }
        match self.worst.iter_mut().find(|(k, _, _)| k == kind) {
            Some((_, w, l)) => {
                if e > *w {
                    *w = e;
                    *l = line.to_string();
                }
            }
            None => self.worst.push((kind.to_string(), e, line.to_string())),
        }
    }
}

fn num<T: std::str::FromStr>(s: &str) -> T {
    s.parse().unwrap_or_else(|_| panic!("bad number {s:?} in fixture"))
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').map(num).collect()
}

fn bound(s: &str) -> Bound {
    match s {
        "two" => Bound::TwoSided,
        "upper" => Bound::Upper,
        "lower" => Bound::Lower,
        _ => panic!("bad bound {s}"),
    }
}

fn alternative(s: &str) -> Alternative {
    match s {
        "two-sided" => Alternative::TwoSided,
        "less" => Alternative::Less,
        "greater" => Alternative::Greater,
        _ => panic!("bad alternative {s}"),
    }
}

#[test]
fn agrees_with_scipy_and_statsmodels() {
    let text = include_str!("fixtures/stats_reference.txt");
    let mut t = Tally { worst: Vec::new(), failures: Vec::new(), cases: 0, near_zero: 0 };
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        // What follows " # " is scipy's own value where the reference is mpmath.
        let case = line.split(" # ").next().unwrap_or(line);
        let (args, want) = case.split_once(" | ").expect("fixture line has ' | '");
        let a: Vec<&str> = args.split_whitespace().collect();
        let w: Vec<&str> = want.split_whitespace().collect();
        t.cases += 1;
        match a[0] {
            "wilson" | "cp" => {
                let (k, n, c, b) = (num(a[1]), num(a[2]), num(a[3]), bound(a[4]));
                let i = if a[0] == "wilson" { wilson(k, n, c, b) } else { clopper_pearson(k, n, c, b) }
                    .expect("valid counts");
                let abs_ok = a[0] == "wilson";
                t.check(a[0], line, i.low, num(w[0]), abs_ok);
                t.check(a[0], line, i.high, num(w[1]), abs_ok);
            }
            "zero" => {
                let z = zero_error_upper_bound(num(a[1]), num(a[2])).expect("valid");
                t.check("zero", line, z, num(w[0]), false);
            }
            "fisher" => {
                let table = [[num(a[1]), num(a[2])], [num(a[3]), num(a[4])]];
                t.check("fisher", line, fisher_exact(table, alternative(a[5])), num(w[0]), false);
            }
            "chi2" => {
                let (ks, ns): (Vec<u64>, Vec<u64>) = (list(a[1]), list(a[2]));
                let r = chi_squared_homogeneity(&ks, &ns, a[3] == "1").expect("valid table");
                t.check("chi2 statistic", line, r.statistic, num(w[0]), false);
                assert_eq!(r.dof, num::<u64>(w[1]), "{line}");
                t.check("chi2 p", line, r.p_value, num(w[2]), false);
                t.check("chi2 min expected", line, r.min_expected, num(w[3]), false);
            }
            "holm" => {
                let adj = holm(&list::<f64>(a[1])).expect("valid p-values");
                let want: Vec<f64> = list(w[0]);
                assert_eq!(adj.len(), want.len());
                for (g, e) in adj.into_iter().zip(want) {
                    t.check("holm", line, g, e, true);
                }
            }
            "diff" | "ratio" => {
                let (k1, n1, k2, n2, c) = (num(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5]));
                let i = if a[0] == "diff" {
                    difference_newcombe(k1, n1, k2, n2, c)
                } else {
                    ratio_log_adjusted(k1, n1, k2, n2, c)
                }
                .expect("valid counts");
                let abs_ok = a[0] == "diff";
                t.check(a[0], line, i.low, num(w[0]), abs_ok);
                t.check(a[0], line, i.high, num(w[1]), abs_ok);
            }
            "power" => {
                let p = exact_power(num(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5]), alternative(a[6]))
                    .expect("valid");
                t.check("power", line, p, num(w[0]), false);
            }
            other => panic!("unknown fixture kind {other}"),
        }
    }
    for (kind, worst, line) in &t.worst {
        eprintln!("{kind:>18}: worst relative error {worst:.2e}  ({line})");
    }
    eprintln!("{} cases; {} values accepted as equal near zero", t.cases, t.near_zero);
    assert!(t.cases >= 200, "only {} cases", t.cases);
    assert!(t.failures.is_empty(), "{} of {} cases disagree:\n{}", t.failures.len(), t.cases, t.failures.join("\n"));
}

const NS: [u64; 9] = [1, 2, 5, 10, 37, 100, 1000, 100_000, 1_000_000_000];

#[test]
fn intervals_contain_the_estimate_and_cp_reaches_further_at_one_error() {
    for &n in &NS {
        for k in [0, 1, n / 2, n - 1, n] {
            let phat = k as f64 / n as f64;
            for c in [0.9, 0.95, 0.99] {
                let w = wilson(k, n, c, Bound::TwoSided).unwrap();
                let cp = clopper_pearson(k, n, c, Bound::TwoSided).unwrap();
                for i in [w, cp] {
                    assert!(0.0 <= i.low && i.low <= phat && phat <= i.high && i.high <= 1.0);
                }
                // With one error (or one non-error) Clopper-Pearson reaches further into
                // the near tail than Wilson. (Not at k = 0: there Wilson's upper bound,
                // z²/(n + z²), exceeds CP's 1 - (alpha/2)^(1/n) for large n.)
                if k == 1 && n >= 2 {
                    assert!(cp.low <= w.low, "n={n} c={c}");
                }
                if k == n - 1 && n >= 2 {
                    assert!(cp.high >= w.high, "n={n} c={c}");
                }
                // A one-sided bound at c is tighter than the two-sided one at c.
                let up = clopper_pearson(k, n, c, Bound::Upper).unwrap();
                assert!(up.high <= cp.high && up.low == 0.0);
            }
        }
    }
}

#[test]
fn bounds_rise_with_the_count() {
    for &n in &[1u64, 7, 50, 1000] {
        for c in [0.9, 0.95, 0.99] {
            let mut last = (-1.0, -1.0, -1.0, -1.0);
            for k in 0..=n.min(60) {
                let w = wilson(k, n, c, Bound::TwoSided).unwrap();
                let cp = clopper_pearson(k, n, c, Bound::TwoSided).unwrap();
                let now = (w.low, w.high, cp.low, cp.high);
                assert!(now.0 >= last.0 && now.1 > last.1 && now.2 >= last.2 && now.3 > last.3, "n={n} k={k}");
                last = now;
            }
        }
    }
}

#[test]
fn holm_is_monotone_and_never_below_raw() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for m in 1..30 {
        let p: Vec<f64> = (0..m).map(|_| next().powi(3)).collect();
        let adj = holm(&p).unwrap();
        for i in 0..m {
            assert!(adj[i] >= p[i] && adj[i] <= 1.0);
            // Bonferroni is the most any Holm value can be.
            assert!(adj[i] <= (p[i] * m as f64).min(1.0) + 1e-15);
            for j in 0..m {
                if p[i] <= p[j] {
                    assert!(adj[i] <= adj[j], "order kept");
                }
            }
        }
    }
}

#[test]
fn fisher_tails_are_consistent() {
    // P(X <= a) + P(X >= a) = 1 + P(X = a) >= 1, and two-sided <= 2 min(one-sided), <= 1.
    for table in [[[3u64, 17u64], [9, 11]], [[0, 1000], [12, 988]], [[5, 999_999_995], [25, 999_999_975]]] {
        let less = fisher_exact(table, Alternative::Less);
        let greater = fisher_exact(table, Alternative::Greater);
        let two = fisher_exact(table, Alternative::TwoSided);
        assert!(less + greater >= 1.0 - 1e-12);
        assert!(two <= (2.0 * less.min(greater)).min(1.0) * (1.0 + 1e-12) && two >= less.min(greater));
    }
}

#[test]
fn minimum_detectable_ratio_is_where_exact_power_crosses_the_target() {
    // exact_power itself is checked against a scipy enumeration in the fixtures.
    for (p0, n0, n1, alt) in [
        (0.05, 120, 100, Alternative::Greater),
        (0.2, 40, 60, Alternative::Greater),
        (0.01, 2000, 1500, Alternative::Greater),
        (0.1, 80, 80, Alternative::TwoSided),
    ] {
        let m = minimum_detectable_ratio(p0, n0, n1, 0.05, 0.8, alt).unwrap();
        assert_eq!(m.method, PowerMethod::ExactEnumeration);
        let r = m.ratio.expect("detectable");
        let at = exact_power(p0, n0, n1, r, 0.05, alt).unwrap();
        assert!(at >= 0.8 && (at - m.power).abs() < 1e-12, "{p0} {n0} {n1}: {r} {at}");
        if alt == Alternative::Greater {
            // One-sided power rises with the ratio, so just below the answer it is short.
            let below = exact_power(p0, n0, n1, r * (1.0 - 2e-6), 0.05, alt).unwrap();
            assert!(below < 0.8, "{p0} {n0} {n1}: {r} {below}");
        }
    }
    // A reference rate so high that even a rate of 1 cannot be told apart in 3 trials.
    let m = minimum_detectable_ratio(0.6, 3, 3, 0.05, 0.8, Alternative::Greater).unwrap();
    assert_eq!(m.ratio, None);
}
