//! Adjustment of p-values for multiple comparisons.

use super::StatsError;

/// Holm–Bonferroni step-down adjusted p-values (Holm 1979, "A simple sequentially
/// rejective multiple test procedure", Scand. J. Statist. 6), returned in the input's
/// order: sort ascending, multiply the i-th smallest (0-based) by m - i, take the running
/// maximum, cap at 1. Identical to
/// `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`. Rejecting where the
/// adjusted p <= alpha controls the family-wise error rate at alpha.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    if let Some(&bad) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::InvalidPValue(bad));
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(p_values[i] * (m - rank) as f64);
        adjusted[i] = running.min(1.0);
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_small_example() {
        // multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
        // -> [0.03, 0.06, 0.06, 0.02]
        let a = holm(&[0.01, 0.04, 0.03, 0.005]).unwrap();
        let want = [0.03, 0.06, 0.06, 0.02];
        for (x, w) in a.iter().zip(want) {
            assert!((x - w).abs() < 1e-15, "{a:?}");
        }
        assert!(holm(&[]).unwrap().is_empty());
        assert!(holm(&[f64::NAN]).is_err());
    }
}
