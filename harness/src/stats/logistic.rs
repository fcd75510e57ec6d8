//! Logistic regression of a 0/1 outcome, fitted by iteratively reweighted least squares
//! (Newton's method on the binomial log-likelihood, as statsmodels' `GLM(family=Binomial())`
//! fits it), with the subject-clustered sandwich covariance (docs/metrics.md, "Adjusted
//! differentials").
//!
//! Why not a crate: the models here have a handful of columns (groups and covariates), so
//! the fit is a few k×k solves; the logistic crates fit by general-purpose optimisers
//! whose stopping rules do not reproduce statsmodels' estimates to 1e-6, and none gives
//! the cluster-robust covariance, which is most of what this module is for. Tested against
//! statsmodels (`GLM(...).fit(cov_type="cluster")`) through
//! `harness/tests/fixtures/make_logistic_fixtures.py`.

/// A design: `rows` observations of `columns` regressors, row-major, with each row's
/// outcome and cluster (the subject, so that trials of one person are not taken as
/// independent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Design {
    pub columns: usize,
    /// Column names, for messages; `columns` of them.
    pub names: Vec<String>,
    /// `rows × columns` values, row-major.
    pub x: Vec<f64>,
    pub y: Vec<bool>,
    pub cluster: Vec<u32>,
}

impl Design {
    pub fn new(names: Vec<String>) -> Self {
        Design { columns: names.len(), names, ..Design::default() }
    }
    pub fn rows(&self) -> usize {
        self.y.len()
    }
    /// Append one observation; `x` has one value per column.
    pub fn push(&mut self, x: &[f64], y: bool, cluster: u32) {
        debug_assert_eq!(x.len(), self.columns);
        self.x.extend_from_slice(x);
        self.y.push(y);
        self.cluster.push(cluster);
    }
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.columns..(i + 1) * self.columns]
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// One per column, on the log-odds scale.
    pub coefficients: Vec<f64>,
    /// Cluster-robust covariance, `columns × columns`, row-major, with the small-sample
    /// factor G/(G−1) · (n−1)/(n−k) (statsmodels' default for `cov_type="cluster"`).
    pub covariance: Vec<f64>,
    pub standard_errors: Vec<f64>,
    pub iterations: u32,
    pub rows: u64,
    pub events: u64,
    pub clusters: u64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogisticError {
    #[error("no observations")]
    Empty,
    #[error("{events} events in {rows} observations: the model needs both outcomes")]
    OneOutcome { events: u64, rows: u64 },
    #[error(
        "`{column}` separates the outcomes: its {rows} observations have {events} events, so its \
         odds ratio is not finite (separation)"
    )]
    Separation { column: String, rows: u64, events: u64 },
    #[error("`{column}` is constant or a combination of other columns (the model is not identifiable)")]
    Collinear { column: String },
    #[error("{events} events for {columns} coefficients: too few to estimate them (at least 5 per coefficient)")]
    TooFewEvents { events: u64, columns: usize },
    #[error("only {clusters} subjects: the clustered covariance needs at least 2 more than the {columns} coefficients")]
    TooFewClusters { clusters: u64, columns: usize },
    #[error("the fit did not converge in {iterations} iterations (quasi-complete separation)")]
    NotConverged { iterations: u32 },
}

const MAX_ITERATIONS: u32 = 100;
/// Events needed per coefficient (a common rule of thumb for stable logistic estimates).
pub const EVENTS_PER_COEFFICIENT: u64 = 5;

fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// Cholesky factor `l` (lower, row-major) of a symmetric positive-definite `k × k`
/// matrix; `Err(j)` names the column where it is not positive definite.
fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; k * k];
    let scale = (0..k).map(|i| a[i * k + i].abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    for j in 0..k {
        let d = a[j * k + j] - (0..j).map(|p| l[j * k + p] * l[j * k + p]).sum::<f64>();
        if d <= 1e-12 * scale || !d.is_finite() {
            return Err(j);
        }
        let d = d.sqrt();
        l[j * k + j] = d;
        for i in j + 1..k {
            let s = a[i * k + j] - (0..j).map(|p| l[i * k + p] * l[j * k + p]).sum::<f64>();
            l[i * k + j] = s / d;
        }
    }
    Ok(l)
}

/// Solve `l lᵀ x = b`.
fn solve(l: &[f64], k: usize, b: &[f64]) -> Vec<f64> {
    let mut y = b.to_vec();
    for i in 0..k {
        y[i] = (y[i] - (0..i).map(|p| l[i * k + p] * y[p]).sum::<f64>()) / l[i * k + i];
    }
    for i in (0..k).rev() {
        y[i] = (y[i] - (i + 1..k).map(|p| l[p * k + i] * y[p]).sum::<f64>()) / l[i * k + i];
    }
    y
}

/// `(l lᵀ)⁻¹`, column by column.
fn inverse(l: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; k * k];
    for j in 0..k {
        let mut e = vec![0.0; k];
        e[j] = 1.0;
        let c = solve(l, k, &e);
        for i in 0..k {
            out[i * k + j] = c[i];
        }
    }
    out
}

/// Columns holding only 0 and 1 (indicators of a group or a level): the outcome must
/// vary among the rows where the indicator is 1, or its coefficient is infinite.
fn check_indicators(d: &Design) -> Result<(), LogisticError> {
    for j in 0..d.columns {
        let mut binary = true;
        let (mut rows, mut events) = (0u64, 0u64);
        for i in 0..d.rows() {
            let v = d.x[i * d.columns + j];
            if v != 0.0 && v != 1.0 {
                binary = false;
                break;
            }
            if v == 1.0 {
                rows += 1;
                events += d.y[i] as u64;
            }
        }
        if binary && rows < d.rows() as u64 && (events == 0 || events == rows) {
            return Err(LogisticError::Separation { column: d.names[j].clone(), rows, events });
        }
    }
    Ok(())
}

/// Fit by Newton–Raphson from β = 0 until no coefficient moves by more than 1e-10
/// (relative to its size), then the clustered covariance at the estimate.
pub fn fit(d: &Design) -> Result<LogisticFit, LogisticError> {
    let (n, k) = (d.rows(), d.columns);
    if n == 0 {
        return Err(LogisticError::Empty);
    }
    let events = d.y.iter().filter(|&&y| y).count() as u64;
    if events == 0 || events == n as u64 {
        return Err(LogisticError::OneOutcome { events, rows: n as u64 });
    }
    let rarer = events.min(n as u64 - events);
    if rarer < EVENTS_PER_COEFFICIENT * k as u64 {
        return Err(LogisticError::TooFewEvents { events: rarer, columns: k });
    }
    let mut clusters: Vec<u32> = d.cluster.clone();
    clusters.sort_unstable();
    clusters.dedup();
    let g = clusters.len();
    if g < k + 2 {
        return Err(LogisticError::TooFewClusters { clusters: g as u64, columns: k });
    }
    check_indicators(d)?;

    let mut beta = vec![0.0; k];
    let mut iterations = 0;
    let l = loop {
        iterations += 1;
        let mut info = vec![0.0; k * k];
        let mut score = vec![0.0; k];
        for i in 0..n {
            let x = d.row(i);
            let p = sigmoid(x.iter().zip(&beta).map(|(a, b)| a * b).sum());
            let w = p * (1.0 - p);
            let r = d.y[i] as u8 as f64 - p;
            for a in 0..k {
                score[a] += x[a] * r;
                let wa = w * x[a];
                for b in 0..=a {
                    info[a * k + b] += wa * x[b];
                }
            }
        }
        for a in 0..k {
            for b in 0..a {
                info[b * k + a] = info[a * k + b];
            }
        }
        let l = cholesky(&info, k).map_err(|j| LogisticError::Collinear { column: d.names[j].clone() })?;
        let step = solve(&l, k, &score);
        let mut largest = 0.0f64;
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
            largest = largest.max(s.abs() / b.abs().max(1.0));
        }
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 50.0) {
            return Err(LogisticError::NotConverged { iterations });
        }
        if largest < 1e-10 {
            break l;
        }
        if iterations >= MAX_ITERATIONS {
            return Err(LogisticError::NotConverged { iterations });
        }
    };
    // The information at the final estimate (one more pass), its inverse (the bread),
    // and the meat: the sum over subjects of the outer product of their score sums.
    let mut info = vec![0.0; k * k];
    let mut per_cluster = vec![0.0; g * k];
    for i in 0..n {
        let x = d.row(i);
        let p = sigmoid(x.iter().zip(&beta).map(|(a, b)| a * b).sum());
        let (w, r) = (p * (1.0 - p), d.y[i] as u8 as f64 - p);
        let c = clusters.binary_search(&d.cluster[i]).unwrap_or(0);
        for a in 0..k {
            per_cluster[c * k + a] += x[a] * r;
            for b in 0..k {
                info[a * k + b] += w * x[a] * x[b];
            }
        }
    }
    let bread = match cholesky(&info, k) {
        Ok(l) => inverse(&l, k),
        Err(_) => inverse(&l, k),
    };
    let mut meat = vec![0.0; k * k];
    for c in 0..g {
        let s = &per_cluster[c * k..(c + 1) * k];
        for a in 0..k {
            for b in 0..k {
                meat[a * k + b] += s[a] * s[b];
            }
        }
    }
    let factor = (g as f64 / (g as f64 - 1.0)) * ((n as f64 - 1.0) / (n as f64 - k as f64));
    let product = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                out[i * k + j] = (0..k).map(|p| a[i * k + p] * b[p * k + j]).sum();
            }
        }
        out
    };
    let mut covariance = product(&product(&bread, &meat), &bread);
    covariance.iter_mut().for_each(|v| *v *= factor);
    let standard_errors = (0..k).map(|j| covariance[j * k + j].max(0.0).sqrt()).collect();
    Ok(LogisticFit {
        coefficients: beta,
        covariance,
        standard_errors,
        iterations,
        rows: n as u64,
        events,
        clusters: g as u64,
    })
}

impl LogisticFit {
    /// Two-sided Wald p-value of coefficient `j` (normal reference, as statsmodels' GLM).
    pub fn p_value(&self, j: usize) -> f64 {
        let z = self.coefficients[j] / self.standard_errors[j];
        crate::stats::special::chi_squared_sf(z * z, 1.0)
    }
    /// Wald interval of coefficient `j` at `confidence`, on the log-odds scale.
    pub fn interval(&self, j: usize, confidence: f64) -> (f64, f64) {
        let z = crate::stats::special::normal_quantile(0.5 + confidence / 2.0);
        let (b, se) = (self.coefficients[j], self.standard_errors[j]);
        (b - z * se, b + z * se)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(rows: &[(f64, bool, u32)]) -> Design {
        let mut d = Design::new(vec!["intercept".into(), "b".into()]);
        for &(x, y, c) in rows {
            d.push(&[1.0, x], y, c);
        }
        d
    }

    #[test]
    fn a_saturated_group_model_gives_the_odds_ratio_of_the_counts() {
        // Group 0: 3 events of 20; group 1: 9 of 30. OR = (9/21) / (3/17).
        let mut rows = Vec::new();
        for i in 0..20 {
            rows.push((0.0, i < 3, i));
        }
        for i in 0..30 {
            rows.push((1.0, i < 9, 100 + i));
        }
        let f = fit(&design(&rows)).unwrap();
        assert!((f.coefficients[0] - (3.0f64 / 17.0).ln()).abs() < 1e-12);
        assert!((f.coefficients[1] - ((9.0f64 / 21.0) / (3.0 / 17.0)).ln()).abs() < 1e-12);
        assert_eq!((f.rows, f.events, f.clusters), (50, 12, 50));
    }

    #[test]
    fn an_indicator_without_events_is_separation() {
        let mut rows = Vec::new();
        for i in 0..40 {
            rows.push((0.0, i % 3 == 0, i));
            rows.push((1.0, false, 100 + i));
        }
        let e = fit(&design(&rows)).unwrap_err();
        assert_eq!(e, LogisticError::Separation { column: "b".into(), rows: 40, events: 0 });
        assert!(e.to_string().contains("separates"));
    }

    #[test]
    fn a_constant_column_is_collinear_and_few_events_are_refused() {
        let mut d = Design::new(vec!["intercept".into(), "same".into()]);
        for i in 0..100 {
            d.push(&[1.0, 2.0], i % 4 == 0, i);
        }
        assert_eq!(fit(&d).unwrap_err(), LogisticError::Collinear { column: "same".into() });
        let mut d = Design::new(vec!["intercept".into(), "x".into()]);
        for i in 0..100 {
            d.push(&[1.0, i as f64], i < 7, i);
        }
        assert_eq!(fit(&d).unwrap_err(), LogisticError::TooFewEvents { events: 7, columns: 2 });
        assert_eq!(fit(&Design::new(vec!["a".into()])).unwrap_err(), LogisticError::Empty);
    }
}
