//! From a vendor's run to its entry in the results: every protocol analysed with the
//! same configuration, plus FTE/FTA and timing.

use crate::analysis::adjusted::adjusted_differentials;
use crate::analysis::capture_groupings::add_capture_groupings;
use crate::analysis::covariate::{Covariate, covariate};
use crate::analysis::protocol::AnalysisError;
use crate::analysis::protocol::{analyse_search, analyse_verification, template_rates};
use crate::model::analysis::AnalysisConfig;
use crate::model::benchmark::{Benchmark, Protocol};
use crate::model::results::{BenchmarkInfo, FailureCount, VendorResults};
use crate::run::runner::{ProtocolTrials, VendorRun};
use std::collections::BTreeMap;

pub fn evaluate(bench: &Benchmark, run: &VendorRun, full: &AnalysisConfig) -> Result<VendorResults, AnalysisError> {
    let population = &bench.population;
    // Subjects' groupings here; capture groupings below, on units of their own.
    let config = &full.subject_groupings_only();
    let declared = &run.description.thresholds;
    let protocols = bench
        .protocols
        .iter()
        .zip(&run.protocols)
        .map(|(p, trials)| match (p, trials) {
            (Protocol::Verification(_), ProtocolTrials::Verification(t)) => {
                analyse_verification(p.name(), t, population, config, declared)
            }
            (Protocol::Identification(_) | Protocol::Watchlist(_), ProtocolTrials::Search(t)) => {
                analyse_search(p.name(), p.kind(), t, population, config, declared)
            }
            _ => unreachable!("the runner produces trials of the protocol's own kind"),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut protocols = protocols;
    for ((p, trials), out) in bench.protocols.iter().zip(&run.protocols).zip(&mut protocols) {
        add_capture_groupings(bench, p, trials, full, declared, out)?;
    }
    if !config.covariates.is_empty() {
        let covariates: Vec<Covariate> =
            config.covariates.iter().map(|name| covariate(&bench.samples, name)).collect::<Result<_, _>>()?;
        for ((p, trials), out) in bench.protocols.iter().zip(&run.protocols).zip(&mut protocols) {
            let capture = adjusted_differentials(bench, p, trials, &covariates, config, declared)?;
            out.adjusted = capture.adjusted;
            out.covariate_distributions = capture.distributions;
            out.covariate_rates = capture.rates;
        }
    }
    let mut failures: BTreeMap<_, u64> = BTreeMap::new();
    for f in &run.failures {
        *failures.entry((f.role, f.failure.code)).or_default() += 1;
    }
    Ok(VendorResults {
        vendor: run.description.clone(),
        fingerprint: run.fingerprint.clone(),
        template_rates: template_rates(&run.outcomes, population, config)?,
        failures: failures.into_iter().map(|((role, code), count)| FailureCount { role, code, count }).collect(),
        timing: run.timing.clone(),
        protocols,
    })
}

impl BenchmarkInfo {
    /// Counts and label provenance of a benchmark.
    pub fn of(bench: &Benchmark) -> Self {
        let p = &bench.population;
        BenchmarkInfo {
            name: bench.name.clone(),
            version: bench.version.clone(),
            licence: bench.licence.clone(),
            content_hash: bench.content_hash.clone(),
            subjects: p.subjects.len() as u64,
            samples: bench.samples.len() as u64,
            label_provenance: p.provenance.clone(),
            subjects_per_group: p.subjects_per_group(),
        }
    }
}
