//! `verity import` on a terminal: what was imported, per group.

use datasets::import::Summary;

/// The summary as a few lines of text.
pub fn describe(s: &Summary) -> String {
    let mut out = format!("imported {} ({}): {} subjects, {} samples", s.layout, s.source, s.subjects, s.samples);
    if s.mated_pairs + s.non_mated_pairs > 0 {
        out += &format!(
            ", {} pairs ({} mated, {} non-mated)",
            s.mated_pairs + s.non_mated_pairs,
            s.mated_pairs,
            s.non_mated_pairs
        );
    }
    out.push('\n');
    if !s.identities {
        out += "no identities: each image is its own subject (failure-to-acquire and quality breakdowns only)\n";
    }
    if s.attributes.is_empty() {
        out += "demographic labels: none\n";
    }
    for (attribute, provenance) in &s.attributes {
        let groups: Vec<String> = s
            .groups
            .iter()
            .filter(|g| &g.attribute == attribute)
            .map(|g| format!("{} {}", g.group, g.subjects))
            .collect();
        out += &format!("{attribute} ({provenance}): {}\n", groups.join(", "));
    }
    if !s.capture.is_empty() {
        out += &format!("capture columns: {}\n", s.capture.join(", "));
    }
    for f in &s.files {
        out += &format!("also written: {f}\n");
    }
    out
}
