//! A rate always travels with its numerator, its denominator and its interval.

use serde::Serialize;

/// Counts behind a rate. A rate with a zero denominator is undefined, never 0 or NaN.
/// For a proportion `numerator <= denominator`; SEL (candidates per search) may exceed 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
}

/// Serialised with its value, so every route to JSON shows the same shape:
/// `{"numerator": 0, "denominator": 0, "rate": null}`.
impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Rate", 3)?;
        st.serialize_field("numerator", &self.numerator)?;
        st.serialize_field("denominator", &self.denominator)?;
        st.serialize_field("rate", &self.value())?;
        st.end()
    }
}

/// Read back from `{"numerator", "denominator", "rate"}`; `rate` must agree with the
/// counts (it is derived from them), so a hand-edited file cannot carry a rate its
/// counts do not give.
impl<'de> serde::Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Shape {
            numerator: u64,
            denominator: u64,
            rate: Option<f64>,
        }
        let s = Shape::deserialize(d)?;
        let r = Rate::new(s.numerator, s.denominator);
        if r.value() != s.rate {
            return Err(serde::de::Error::custom(format!(
                "rate {:?} does not equal numerator/denominator {}/{}",
                s.rate, s.numerator, s.denominator
            )));
        }
        Ok(r)
    }
}

impl Rate {
    pub fn new(numerator: u64, denominator: u64) -> Self {
        Rate { numerator, denominator }
    }

    /// `None` when the denominator is zero: the rate is undefined.
    pub fn value(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// Complement, e.g. TPIR = 1 - FNIR over the same trials.
    pub fn complement(&self) -> Rate {
        Rate::new(self.denominator - self.numerator, self.denominator)
    }

    /// Two-sided Wilson score interval at `confidence` (Wilson 1927; the default
    /// interval of docs/metrics.md). `None` when the rate is undefined.
    pub fn wilson(&self, confidence: f64) -> Option<Interval> {
        self.interval(IntervalMethod::Wilson, confidence)
    }

    /// Two-sided interval by `method` at `confidence`; `None` when the rate is undefined.
    pub fn interval(&self, method: IntervalMethod, confidence: f64) -> Option<Interval> {
        use crate::stats::binomial::{Bound, clopper_pearson, wilson};
        let (k, n) = (self.numerator, self.denominator);
        let i = match method {
            IntervalMethod::Wilson => wilson(k, n, confidence, Bound::TwoSided),
            IntervalMethod::ClopperPearson => clopper_pearson(k, n, confidence, Bound::TwoSided),
        }
        .ok()?;
        Some(Interval { low: i.low, high: i.high, method, confidence })
    }

    /// One-sided exact (Clopper–Pearson) upper bound at `confidence`, for "at most"
    /// claims; with zero errors it is 1 − (1 − confidence)^(1/n), the exact form of the
    /// "rule of 3". `None` when the rate is undefined.
    pub fn exact_upper_bound(&self, confidence: f64) -> Option<f64> {
        use crate::stats::binomial::{Bound, clopper_pearson};
        clopper_pearson(self.numerator, self.denominator, confidence, Bound::Upper).ok().map(|i| i.high)
    }

    /// One-sided exact (Clopper–Pearson) lower bound at `confidence`, for "at least"
    /// claims (0 with zero errors). `None` when the rate is undefined.
    pub fn exact_lower_bound(&self, confidence: f64) -> Option<f64> {
        use crate::stats::binomial::{Bound, clopper_pearson};
        clopper_pearson(self.numerator, self.denominator, confidence, Bound::Lower).ok().map(|i| i.low)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntervalMethod {
    /// Wilson score interval (Wilson 1927), the default.
    Wilson,
    /// Clopper–Pearson exact interval (Clopper & Pearson 1934).
    ClopperPearson,
}

impl IntervalMethod {
    pub fn name(&self) -> &'static str {
        match self {
            IntervalMethod::Wilson => "wilson",
            IntervalMethod::ClopperPearson => "clopper-pearson",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    pub method: IntervalMethod,
    pub confidence: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_and_the_exact_upper_bound() {
        // statsmodels proportion_confint(7, 41000, method="beta")
        let i = Rate::new(7, 41_000).interval(IntervalMethod::ClopperPearson, 0.95).unwrap();
        assert!((i.low - 6.864_566_817_146_39e-05).abs() < 1e-15 * 1e2, "{}", i.low);
        assert!((i.high - 3.517_407_278_773_91e-04).abs() < 1e-15 * 1e2, "{}", i.high);
        // Zero errors in 1000: 1 - 0.05^(1/1000).
        let b = Rate::new(0, 1000).exact_upper_bound(0.95).unwrap();
        assert!((b - (1.0 - 0.05f64.powf(1.0 / 1000.0))).abs() < 1e-15);
        assert_eq!(Rate::new(0, 0).exact_upper_bound(0.95), None);
        // All n errors: the lower bound is 0.05^(1/n) (the mirror of the zero-error bound).
        let l = Rate::new(1000, 1000).exact_lower_bound(0.95).unwrap();
        assert!((l - 0.05f64.powf(1.0 / 1000.0)).abs() < 1e-15);
        assert_eq!(Rate::new(0, 10).exact_lower_bound(0.95), Some(0.0));
    }

    #[test]
    fn zero_denominator_is_undefined() {
        let r = Rate::new(0, 0);
        assert_eq!(r.value(), None);
        assert!(r.wilson(0.95).is_none());
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels.stats.proportion.proportion_confint(7, 41000, method="wilson")
        let i = Rate::new(7, 41_000).wilson(0.95).unwrap();
        assert!((i.low - 8.270_637_205_585_348e-05).abs() < 1e-12, "{}", i.low);
        assert!((i.high - 3.524_103_922_749_210_4e-04).abs() < 1e-12, "{}", i.high);
        // proportion_confint(0, 10, method="wilson") -> (0, 0.27753279986288926); (7, 41000) -> (8.2706e-05, 3.5241e-04)
        let i = Rate::new(0, 10).wilson(0.95).unwrap();
        assert_eq!(i.low, 0.0);
        assert!((i.high - 0.277_532_799_862_889_26).abs() < 1e-12);
        let i = Rate::new(10, 10).wilson(0.95).unwrap();
        assert_eq!(i.high, 1.0);
        assert!((i.low - (1.0 - 0.277_532_799_862_889_26)).abs() < 1e-12);
    }
}
