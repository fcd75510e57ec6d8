//! What an import gives, counted per group of every attribute (in category names), for
//! the command line to print and the tests to check against hand counts.

use super::Dataset;
use serde::Serialize;
use std::collections::BTreeMap;

/// Per-group counts of an import, in category names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupCount {
    pub attribute: String,
    pub group: String,
    pub subjects: usize,
    pub samples: usize,
    /// Mated pairs whose subject is in the group.
    pub mated_pairs: usize,
    /// Non-mated pairs whose two subjects are both in the group.
    pub non_mated_pairs: usize,
}

/// What was imported, for the command line to print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub layout: String,
    pub source: String,
    pub identities: bool,
    pub subjects: usize,
    pub samples: usize,
    pub mated_pairs: usize,
    pub non_mated_pairs: usize,
    /// Attribute name and provenance, in table order.
    pub attributes: Vec<(String, String)>,
    pub groups: Vec<GroupCount>,
    pub capture: Vec<String>,
    /// Files written beside the benchmark tables (score files), relative to the folder.
    pub files: Vec<String>,
}

impl Dataset {
    /// The counts this import gives, per group of every attribute.
    pub fn summary(&self) -> Summary {
        let pairs: &[(u32, u32)] = self.pairs.as_ref().map_or(&[], |p| p.1.as_slice());
        let subject_of = |s: u32| self.samples[s as usize].subject;
        let mated = pairs.iter().filter(|&&(p, r)| subject_of(p) == subject_of(r)).count();
        let mut groups = Vec::new();
        for (a, label) in self.labels.iter().enumerate() {
            let group_of = |subject: u32| {
                self.subjects[subject as usize].codes.get(a).map_or("", |code| label.category(code)).to_string()
            };
            let new = |group: &String| GroupCount {
                attribute: label.name.clone(),
                group: group.clone(),
                subjects: 0,
                samples: 0,
                mated_pairs: 0,
                non_mated_pairs: 0,
            };
            let mut counts: BTreeMap<String, GroupCount> = BTreeMap::new();
            for s in 0..self.subjects.len() as u32 {
                counts.entry(group_of(s)).or_insert_with_key(new).subjects += 1;
            }
            for sample in &self.samples {
                counts.entry(group_of(sample.subject)).or_insert_with_key(new).samples += 1;
            }
            for &(p, r) in pairs {
                let (gp, gr) = (group_of(subject_of(p)), group_of(subject_of(r)));
                if subject_of(p) == subject_of(r) {
                    counts.entry(gp).or_insert_with_key(new).mated_pairs += 1;
                } else if gp == gr {
                    counts.entry(gp).or_insert_with_key(new).non_mated_pairs += 1;
                }
            }
            groups.extend(counts.into_values());
        }
        Summary {
            layout: self.layout.name().to_string(),
            source: self.layout.source_name().to_string(),
            identities: self.identities,
            subjects: self.subjects.len(),
            samples: self.samples.len(),
            mated_pairs: mated,
            non_mated_pairs: pairs.len() - mated,
            attributes: self.labels.iter().map(|l| (l.name.clone(), l.provenance.clone())).collect(),
            groups,
            capture: self.capture.clone(),
            files: self.files.iter().map(|f| f.0.clone()).collect(),
        }
    }
}
