//! The one place numbers are formatted for people: percentages, counts, "1 in X",
//! p-values, ratios, thresholds. The report, the annex, the comparison, the scorecard,
//! `summary.md` and the command line all format through here, so one figure reads the
//! same in every document. (Machine-readable files carry full precision instead.)

use harness::model::rate::Rate;

/// What a rate with no trials is called.
pub const UNDEFINED: &str = "undefined (no trials)";

/// `89.1% (891/1,000; 87.0%–90.9%)`, or "undefined (no trials)".
pub fn rate_cell(rate: Rate, interval: Option<(f64, f64)>) -> String {
    let Some(value) = rate.value() else {
        return UNDEFINED.to_string();
    };
    let counts = format!("{}/{}", count(rate.numerator), count(rate.denominator));
    match interval {
        Some((low, high)) => format!("{} ({counts}; {}–{})", percent(value), percent(low), percent(high)),
        None => format!("{} ({counts})", percent(value)),
    }
}

/// FPIR read as "1 in X" faces raising a false alert; X = 1 / FPIR. Never infinity:
/// with no false alert it says so.
pub fn one_in(rate: Rate) -> String {
    match rate.value() {
        None => UNDEFINED.to_string(),
        Some(_) if rate.numerator == 0 => "none observed".to_string(),
        Some(v) => format!("1 in {}", people_number(1.0 / v)),
    }
}

/// A proportion as a percentage for people: one decimal from 1% up (more only when one
/// decimal would round a value below 100% up to 100%), two significant figures below
/// 1%: `89.1%`, `5.0%`, `0.017%`, `0.50%`.
pub fn percent(p: f64) -> String {
    let pct = p * 100.0;
    if pct <= 0.0 {
        return "0%".to_string();
    }
    if p >= 1.0 {
        return "100%".to_string();
    }
    if pct >= 1.0 {
        let mut decimals = 1;
        while decimals < 6 && format!("{pct:.decimals$}").parse::<f64>().is_ok_and(|x| x >= 100.0) {
            decimals += 1;
        }
        return format!("{pct:.decimals$}%");
    }
    let magnitude = pct.log10().floor() as i32;
    let decimals = (1 - magnitude).clamp(0, 20) as usize;
    format!("{pct:.decimals$}%")
}

/// A positive number for people: three significant figures with thousands separators
/// from 10 up (`5,860`, `123,000`), one decimal below (`1.5`, `2`).
pub fn people_number(x: f64) -> String {
    if x < 10.0 {
        return trim(x, 1);
    }
    let magnitude = x.log10().floor() as i32;
    let unit = 10f64.powi(magnitude - 2);
    let rounded = ((x / unit).round() * unit).round();
    if rounded >= 1e18 {
        return format!("{rounded:.2e}");
    }
    count(rounded as u64)
}

/// `41000` as `41,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A p-value for people: three decimals from 0.001, else two significant figures.
pub fn p_value(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else if p > 0.0 {
        format!("{p:.1e}")
    } else {
        "< 1e-300".into()
    }
}

/// A ratio for people: two decimals below 10, one below 100, none above.
pub fn ratio(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// `x` with at most `decimals` decimals, trailing zeros dropped (`trim(95.0, 4)` is `95`).
pub fn trim(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A confidence level as a percentage: `95%`, `99.5%`.
pub fn confidence(c: f64) -> String {
    format!("{}%", trim(c * 100.0, 4))
}

/// A threshold for people: as given where short (a declared 0.6), else six decimals
/// (a calibrated 0.489588); the CSV files carry every digit.
pub fn threshold(t: f64) -> String {
    let short = format!("{t}");
    if short.len() <= 8 { short } else { format!("{t:.6}") }
}

/// "1 in X" of a bare rate value (X = 1 / rate, three significant figures); `None` for a
/// rate of zero, which has no "1 in X".
pub fn one_in_value(rate: f64) -> Option<String> {
    (rate > 0.0).then(|| format!("1 in {}", people_number(1.0 / rate)))
}

/// A number echoed as a person wrote it in an input (a rubric's weights and limits): the
/// shortest text that reads back to it, in scientific notation below 1e-4 and from 1e9.
pub fn as_written(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e9) { format!("{x:e}") } else { format!("{x}") }
}

/// Scorecard points: one decimal.
pub fn points(x: f64) -> String {
    format!("{x:.1}")
}

/// A price: thousands separators, pence only when there are any.
pub fn price(p: f64) -> String {
    if p.fract() == 0.0 && p < 1e15 { count(p as u64) } else { format!("{p:.2}") }
}

/// A small rate in scientific notation with four significant figures (`1.799e-3`); 0 as `0`.
pub fn scientific(v: f64) -> String {
    if v == 0.0 { "0".to_string() } else { format!("{v:.3e}") }
}

/// "1 in X" of a projected false-alert rate: X = 1 / rate; with none expected, the upper
/// bound's X when there is one.
pub fn projected_one_in(one_in: &harness::analysis::projection::OneIn) -> String {
    match (one_in.x, one_in.upper_x) {
        (Some(x), _) => format!("1 in {}", people_number(x)),
        (None, Some(u)) => format!("none expected (upper bound 1 in {})", people_number(u)),
        (None, None) => "none expected".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_formats() {
        assert_eq!(percent(0.891), "89.1%");
        assert_eq!(percent(7.0 / 41_000.0), "0.017%");
        assert_eq!(percent(0.005), "0.50%");
        assert_eq!(percent(0.05), "5.0%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.99996), "99.996%", "never rounds up to 100% below 100%");
        assert_eq!(count(41_000), "41,000");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(people_number(41_000.0 / 7.0), "5,860");
        assert_eq!(people_number(1.5), "1.5");
        assert_eq!(people_number(2.0), "2");
        assert_eq!(people_number(10.0), "10");
    }

    #[test]
    fn one_in_x_never_prints_infinity() {
        assert_eq!(one_in(Rate::new(7, 41_000)), "1 in 5,860");
        assert_eq!(one_in(Rate::new(0, 20_000)), "none observed");
        assert_eq!(one_in(Rate::new(0, 0)), "undefined (no trials)");
        assert_eq!(one_in(Rate::new(1, 1)), "1 in 1");
        assert_eq!(one_in_value(7.0 / 41_000.0).as_deref(), Some("1 in 5,860"));
        assert_eq!(one_in_value(0.0), None);
    }

    #[test]
    fn p_values_ratios_thresholds() {
        assert_eq!(p_value(0.0423), "0.042");
        assert_eq!(p_value(0.000_21), "2.1e-4");
        assert_eq!(p_value(0.0), "< 1e-300");
        assert_eq!(ratio(2.345), "2.35");
        assert_eq!(ratio(23.45), "23.4");
        assert_eq!(ratio(234.5), "234");
        assert_eq!(trim(95.0, 4), "95");
        assert_eq!(trim(0.123_456_78, 4), "0.1235");
        assert_eq!(confidence(0.95), "95%");
        assert_eq!(threshold(0.6), "0.6");
        assert_eq!(threshold(0.489_588_123_4), "0.489588");
        assert_eq!(as_written(0.001), "0.001");
        assert_eq!(as_written(0.00001), "1e-5");
        assert_eq!(points(69.96), "70.0");
        assert_eq!(price(1_250_000.0), "1,250,000");
        assert_eq!(price(99.5), "99.50");
        assert_eq!(scientific(0.001_799), "1.799e-3");
    }

    #[test]
    fn projected_one_in_reads_as_the_report_does() {
        use harness::analysis::projection::OneIn;
        assert_eq!(projected_one_in(&OneIn { x: Some(500.0), upper_x: None }), "1 in 500");
        assert_eq!(projected_one_in(&OneIn { x: Some(3456.0), upper_x: None }), "1 in 3,460");
        assert_eq!(
            projected_one_in(&OneIn { x: None, upper_x: Some(2000.0) }),
            "none expected (upper bound 1 in 2,000)"
        );
        assert_eq!(projected_one_in(&OneIn { x: None, upper_x: None }), "none expected");
    }
}
