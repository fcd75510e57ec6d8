//! Bootstrap results of one analysis, looked up by the keys of the tables that show
//! them: the tests between groups (ratio and difference to the reference) and the
//! summary measures (max/min ratio).

use super::Bootstrap;
use crate::model::analysis::Metric;
use crate::model::differences::{BootstrapInterval, MeasuresBootstrap};
use std::collections::HashMap;

/// (grouping, metric, gallery size, rank, threshold bits)
type RateKey = (String, Metric, Option<u64>, Option<u32>, u64);

/// A group's bootstrap comparison with its reference group.
#[derive(Debug, Clone, PartialEq)]
pub struct VersusReference {
    pub reference: String,
    pub difference: BootstrapInterval,
    pub ratio: BootstrapInterval,
}

#[derive(Debug, Clone, Default)]
pub struct BootstrapIndex {
    versus: HashMap<(RateKey, String), VersusReference>,
    spreads: HashMap<RateKey, BootstrapInterval>,
    /// (grouping, gallery size, false-negative rank, threshold bits)
    measures: HashMap<(String, Option<u64>, Option<u32>, u64), MeasuresBootstrap>,
}

impl BootstrapIndex {
    /// Index one grouping's bootstrap (for 1:N, of one gallery size).
    pub fn add(&mut self, boot: &Bootstrap, gallery_size: Option<u64>) {
        for r in &boot.rates {
            let key = (boot.grouping.clone(), r.metric, gallery_size, r.rank, r.threshold.to_bits());
            if let (Some(reference), Some(difference), Some(ratio)) =
                (r.reference_group, &r.difference_to_reference, &r.ratio_to_reference)
            {
                self.versus.insert(
                    (key, r.label.clone()),
                    VersusReference {
                        reference: boot.labels[reference].clone(),
                        difference: difference.clone(),
                        ratio: ratio.clone(),
                    },
                );
            }
        }
        for s in &boot.spreads {
            let key = (boot.grouping.clone(), s.metric, gallery_size, s.rank, s.threshold.to_bits());
            self.spreads.insert(key, s.max_min_ratio.clone());
        }
        for m in &boot.measures {
            self.measures.insert((boot.grouping.clone(), gallery_size, m.rank, m.threshold.to_bits()), m.clone());
        }
    }

    /// The bootstrap intervals of FDR, IR and GARBE of `grouping` at `threshold`.
    pub fn measures(
        &self,
        grouping: &str,
        gallery_size: Option<u64>,
        rank: Option<u32>,
        threshold: f64,
    ) -> Option<&MeasuresBootstrap> {
        self.measures.get(&(grouping.to_string(), gallery_size, rank, threshold.to_bits()))
    }

    /// The bootstrap ratio and difference of `group` to its reference.
    pub fn versus(
        &self,
        grouping: &str,
        metric: Metric,
        gallery_size: Option<u64>,
        rank: Option<u32>,
        threshold: f64,
        group: &str,
    ) -> Option<&VersusReference> {
        self.versus.get(&((grouping.to_string(), metric, gallery_size, rank, threshold.to_bits()), group.to_string()))
    }

    /// The bootstrap interval of the max/min ratio across the groups of `grouping`.
    pub fn spread(
        &self,
        grouping: &str,
        metric: Metric,
        gallery_size: Option<u64>,
        rank: Option<u32>,
        threshold: f64,
    ) -> Option<&BootstrapInterval> {
        self.spreads.get(&(grouping.to_string(), metric, gallery_size, rank, threshold.to_bits()))
    }
}
