//! Provenance: inputs and their hashes, seeds, and the command that reproduces the run.

use super::view::*;
use crate::document::{Block, Document, Table};
use harness::model::results::Results;

pub(super) fn provenance_section(d: &mut Document, results: &Results) {
    let pr = &results.provenance;
    d.heading(2, "Provenance and how to reproduce");
    let mut items = vec![
        format!("verity version {}; results schema {}.", pr.verity_version, results.schema_version),
        format!(
            "Analysis: confidence {}, {} intervals, alpha {}, reference group {}, {} bootstrap replicates, {} Monte Carlo replicates, seed {}.",
            results.config.confidence,
            interval_name(results),
            results.config.alpha,
            results.config.reference_group.as_deref().unwrap_or("the lowest-rate group"),
            results.config.bootstrap_replicates,
            results.config.monte_carlo_replicates,
            results.config.seed
        ),
    ];
    for (name, seed) in &pr.seeds {
        items.push(format!("Seed {name}: {seed}."));
    }
    for v in &results.vendors {
        items.push(format!("Vendor {} {} fingerprint {}.", v.vendor.name, v.vendor.version, v.fingerprint));
    }
    d.push(Block::List(items));
    let mut t = Table { header: vec!["Input".into(), "SHA-256".into()], rows: vec![], note: None };
    for (k, h) in &pr.inputs {
        t.rows.push(vec![k.as_str().into(), h.as_str().into()]);
    }
    d.table(t);
    d.paragraph("The command that reproduces these results (byte-identical results.json):");
    d.push(Block::Code(pr.command.clone()));
}
