//! The probit (normal deviate) transform and the probit axis of the DET curves. The
//! transform is drawing, not a metric.

use super::axes::Axis;
use super::significant;

/// Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS 241 (PPND16, Applied
/// Statistics 37, 1988), accurate to about 1e-16. ±infinity at 0 and 1, NaN outside [0, 1];
/// the figures only pass rates strictly between 0 and 1.
pub fn probit(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let poly = |c: &[f64], x: f64| c.iter().rev().fold(0.0, |acc, &k| acc * x + k);
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        const A: [f64; 8] = [
            3.387_132_872_796_366_5,
            133.141_667_891_784_38,
            1_971.590_950_306_551_3,
            13_731.693_765_509_46,
            45_921.953_931_549_87,
            67_265.770_927_008_7,
            33_430.575_583_588_13,
            2_509.080_928_730_122_7,
        ];
        const B: [f64; 8] = [
            1.0,
            42.313_330_701_600_91,
            687.187_007_492_057_9,
            5_394.196_021_424_751,
            21_213.794_301_586_597,
            39_307.895_800_092_71,
            28_729.085_735_721_943,
            5_226.495_278_852_854,
        ];
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let x = if r <= 5.0 {
        const C: [f64; 8] = [
            1.423_437_110_749_683_6,
            4.630_337_846_156_545,
            5.769_497_221_460_691,
            3.647_848_324_763_204_5,
            1.270_458_252_452_368_4,
            0.241_780_725_177_450_6,
            0.022_723_844_989_269_184,
            7.745_450_142_783_414e-4,
        ];
        const D: [f64; 8] = [
            1.0,
            2.053_191_626_637_759,
            1.676_384_830_183_803_8,
            0.689_767_334_985_1,
            0.148_103_976_427_480_08,
            0.015_198_666_563_616_457,
            5.475_938_084_995_345e-4,
            1.050_750_071_644_416_8e-9,
        ];
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        const E: [f64; 8] = [
            6.657_904_643_501_104,
            5.463_784_911_164_114,
            1.784_826_539_917_291_3,
            0.296_560_571_828_504_9,
            0.026_532_189_526_576_124,
            0.001_242_660_947_388_078_4,
            2.711_555_568_743_487_6e-5,
            2.010_334_399_292_288_1e-7,
        ];
        const F: [f64; 8] = [
            1.0,
            0.599_832_206_555_887_9,
            0.136_929_880_922_735_8,
            0.014_875_361_290_850_615,
            7.868_691_311_456_133e-4,
            1.846_318_317_510_054_8e-5,
            1.421_511_758_316_446e-7,
            2.044_263_103_389_939_7e-15,
        ];
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -x } else { x }
}

/// Rates that may label a probit axis, most important first: decades, then halves.
const PROBIT_TICKS: [(f64, u8); 17] = [
    (0.5, 0),
    (1e-2, 0),
    (1e-3, 0),
    (1e-4, 0),
    (1e-5, 0),
    (1e-6, 0),
    (1e-7, 0),
    (1e-8, 0),
    (1e-9, 0),
    (0.1, 1),
    (0.2, 1),
    (0.8, 1),
    (0.95, 1),
    (0.99, 1),
    (0.999, 1),
    (0.05, 2),
    (0.02, 3),
];

/// A probit axis from rate `lo` to `hi`: positions are Φ⁻¹(rate), ticks labelled with the
/// rate; at most `max_ticks` ticks, chosen most important first so that none crowd.
pub(super) fn probit_axis(lo: f64, hi: f64, max_ticks: f64, desc: String) -> Axis {
    let (p_lo, p_hi) = (probit(lo), probit(hi));
    let min_gap = (p_hi - p_lo) / max_ticks.max(2.0);
    let mut chosen: Vec<f64> = Vec::new();
    // The axis's own lower bound first (it is a decade), then by importance.
    let mut order: Vec<(f64, u8)> = PROBIT_TICKS.to_vec();
    order.sort_by_key(|t| (t.1, (t.0 - lo).abs() > 1e-9 * lo));
    for (rate, _) in order {
        let at = probit(rate);
        if rate >= lo * (1.0 - 1e-9)
            && rate <= hi * (1.0 + 1e-9)
            && chosen.iter().all(|&c| (probit(c) - at).abs() >= min_gap)
        {
            chosen.push(rate);
        }
    }
    chosen.sort_by(f64::total_cmp);
    let pad = 0.03 * (p_hi - p_lo);
    Axis { lo: p_lo - pad, hi: p_hi, ticks: chosen.iter().map(|&r| (probit(r), rate_label(r))).collect(), desc }
}

/// Tick label of a rate: decades below 0.01 as `1e-3`, the others as decimals.
pub(super) fn rate_label(rate: f64) -> String {
    if rate < 0.01 { format!("1e{}", rate.log10().round() as i32) } else { significant(rate, 3) }
}

/// The decade at or below `v`, and at most 0.01 (so an axis shows a few decades); 1e-4
/// when there is no rate.
pub(super) fn lower_rate(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1e-4;
    }
    let mut k = v.max(1e-9).log10().floor();
    if 10f64.powf(k + 1.0) <= v * (1.0 + 1e-12) {
        k += 1.0;
    }
    10f64.powf(k).min(0.01)
}

/// The smallest of 0.5, 0.8, 0.95, 0.99, 0.999 at or above `v`.
pub(super) fn upper_rate(v: f64) -> f64 {
    [0.5, 0.8, 0.95, 0.99].into_iter().find(|&u| v <= u).unwrap_or(0.999)
}

/// `k / n` when strictly between 0 and 1 (a probit axis can place it).
pub(super) fn open_rate(k: u64, n: u64) -> Option<f64> {
    (n > 0 && k > 0 && k < n).then(|| k as f64 / n as f64)
}
