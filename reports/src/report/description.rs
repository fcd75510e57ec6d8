//! The test description: benchmark, label provenance, counts per group, FTE/FTA.

use super::view::*;
use crate::document::{Block, Document, Table};
use crate::format::{count, rate_cell};
use harness::model::results::Results;

pub(super) fn description_section(d: &mut Document, results: &Results) {
    let b = &results.benchmark;
    d.heading(2, "Test description");
    d.push(Block::List(vec![
        format!("Benchmark: {} version {}, licence {}.", b.name, b.version, b.licence),
        format!("Content hash (SHA-256): {}.", b.content_hash),
        format!("{} subjects, {} samples.", count(b.subjects), count(b.samples)),
        if b.label_provenance.is_empty() {
            "Demographic labels: provenance not recorded.".into()
        } else {
            format!(
                "Demographic labels: {}.",
                b.label_provenance.iter().map(|(a, p)| format!("{a}: {p}")).collect::<Vec<_>>().join("; ")
            )
        },
    ]));
    let mut subjects =
        Table { header: vec!["Attribute".into(), "Group".into(), "Subjects".into()], rows: vec![], note: None };
    for (attr, groups) in &b.subjects_per_group {
        for (g, n) in groups {
            subjects.rows.push(vec![attr.as_str().into(), g.as_str().into(), count(*n).into()]);
        }
    }
    d.table(subjects);
    let mut protocols = Table {
        header: vec![
            "Protocol".into(),
            "Kind".into(),
            "Mated".into(),
            "Non-mated".into(),
            "Gallery subjects".into(),
            "Trial-list hash (SHA-256)".into(),
        ],
        rows: vec![],
        note: Some(
            "Verification counts pairs; identification and watchlist count searches. Every vendor got the same trial list: the hash proves it."
                .into(),
        ),
    };
    for t in &results.trial_lists {
        protocols.rows.push(vec![
            t.protocol.as_str().into(),
            t.kind.name().into(),
            count(t.mated).into(),
            count(t.non_mated).into(),
            t.gallery_subjects.map_or_else(|| "—".into(), count).into(),
            t.hash.as_str().into(),
        ]);
    }
    d.table(protocols);
    d.heading(3, "Failures to enrol and to acquire");
    let mut t = Table {
        header: vec!["Vendor".into(), "Rate".into(), "Grouping".into(), "Group".into(), "Value".into()],
        rows: vec![],
        note: Some("FTE: enrolment templates that could not be made; FTA: probe (verification or search) templates that could not be made. A failure counts as an error in FNMR/FNIR, never as a dropped trial.".into()),
    };
    for v in &results.vendors {
        for r in &v.template_rates {
            t.rows.push(vec![
                v.vendor.name.as_str().into(),
                metric_name(r.metric).into(),
                r.grouping.as_str().into(),
                r.group.as_str().into(),
                rate_cell(r.rate, interval_of(r)).into(),
            ]);
        }
    }
    d.table(t);
}
