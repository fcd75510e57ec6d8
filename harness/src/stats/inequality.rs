//! Inequality of a set of rates across groups, for the GARBE summary measure
//! (`docs/metrics.md`, "Summary measures").

/// Gini coefficient with the small-sample factor of Howard et al. (2022):
/// G(x) = n/(n-1) · Σ_i Σ_j |x_i - x_j| / (2 n² mean(x)). `Err` says why it is undefined.
pub fn gini(values: &[f64]) -> Result<f64, &'static str> {
    let n = values.len();
    if n < 2 {
        return Err("fewer than two groups");
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    if mean <= 0.0 {
        return Err("the mean rate is 0 (no group has any errors)");
    }
    let mut sum = 0.0;
    for a in values {
        for b in values {
            sum += (a - b).abs();
        }
    }
    Ok(nf / (nf - 1.0) * sum / (2.0 * nf * nf * mean))
}
