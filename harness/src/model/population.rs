//! Subjects, their demographic attributes, and groupings (one attribute or an
//! intersection) that map every subject to a group code.

use serde::Serialize;
use std::collections::BTreeMap;

/// One person in a benchmark. Attribute values are in the order of
/// [`Population::attributes`].
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub id: String,
    pub attributes: Vec<String>,
}

/// All subjects of a benchmark (or of a score-level analysis) with their attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    /// Names of the demographic attributes, e.g. `sex`, `ethnicity`.
    pub attributes: Vec<String>,
    pub subjects: Vec<Subject>,
    /// Where each attribute's labels came from (self-declared, annotated, estimated).
    pub provenance: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GroupingError {
    #[error("unknown attribute `{name}` in grouping `{grouping}`; the attributes are: {known}")]
    UnknownAttribute { grouping: String, name: String, known: String },
    #[error("empty grouping")]
    Empty,
}

/// A way of splitting the population: one attribute, or the intersection of several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Grouping {
    /// Attribute names, e.g. `["sex", "ethnicity"]` for the intersection.
    pub attributes: Vec<String>,
}

impl Grouping {
    /// The whole population as one group, named `all`.
    pub fn all() -> Self {
        Grouping { attributes: Vec::new() }
    }

    /// `sex` or `sex,ethnicity` (an intersection); `×` also separates.
    pub fn parse(text: &str) -> Result<Self, GroupingError> {
        let attributes: Vec<String> =
            text.split([',', '×']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if attributes.is_empty() { Err(GroupingError::Empty) } else { Ok(Grouping { attributes }) }
    }

    /// Name used in tables: `all`, `sex`, `sex×ethnicity`.
    pub fn name(&self) -> String {
        if self.attributes.is_empty() { "all".to_string() } else { self.attributes.join("×") }
    }
}

/// Every subject's group under one grouping, as dense codes.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCodes {
    pub grouping: Grouping,
    /// Group names, sorted; a code indexes this list. An intersection's name joins the
    /// values with `×` in the grouping's attribute order.
    pub labels: Vec<String>,
    /// One code per subject, in population order.
    pub of_subject: Vec<u32>,
}

impl GroupCodes {
    pub fn n_groups(&self) -> usize {
        self.labels.len()
    }
}

impl Population {
    pub fn attribute_index(&self, name: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a == name)
    }

    /// Attribute name -> group -> number of subjects.
    pub fn subjects_per_group(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (a, name) in self.attributes.iter().enumerate() {
            let groups = out.entry(name.clone()).or_default();
            for s in &self.subjects {
                *groups.entry(s.attributes[a].clone()).or_default() += 1;
            }
        }
        out
    }

    /// The default groupings: the whole population, each attribute alone, and the
    /// intersection of all attributes when there are several.
    pub fn default_groupings(&self) -> Vec<Grouping> {
        let mut out = vec![Grouping::all()];
        out.extend(self.attributes.iter().map(|a| Grouping { attributes: vec![a.clone()] }));
        if self.attributes.len() > 1 {
            out.push(Grouping { attributes: self.attributes.clone() });
        }
        out
    }

    /// Assign every subject a group code. Only groups that have at least one subject
    /// exist; an empty intersection is simply absent.
    pub fn group_codes(&self, grouping: &Grouping) -> Result<GroupCodes, GroupingError> {
        let columns: Vec<usize> = grouping
            .attributes
            .iter()
            .map(|name| {
                self.attribute_index(name).ok_or_else(|| GroupingError::UnknownAttribute {
                    grouping: grouping.name(),
                    name: name.clone(),
                    known: self.attributes.join(", "),
                })
            })
            .collect::<Result<_, _>>()?;
        let label_of = |s: &Subject| -> String {
            if columns.is_empty() {
                "all".to_string()
            } else {
                columns.iter().map(|&c| s.attributes[c].as_str()).collect::<Vec<_>>().join("×")
            }
        };
        let mut labels: Vec<String> = self.subjects.iter().map(label_of).collect();
        labels.sort();
        labels.dedup();
        let of_subject = self
            .subjects
            .iter()
            .map(|s| labels.binary_search(&label_of(s)).expect("label was collected") as u32)
            .collect();
        Ok(GroupCodes { grouping: grouping.clone(), labels, of_subject })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population() -> Population {
        let s = |id: &str, sex: &str, eth: &str| Subject { id: id.into(), attributes: vec![sex.into(), eth.into()] };
        Population {
            attributes: vec!["sex".into(), "ethnicity".into()],
            subjects: vec![s("a", "F", "black"), s("b", "M", "white"), s("c", "F", "white"), s("d", "F", "black")],
            provenance: BTreeMap::new(),
        }
    }

    #[test]
    fn single_attribute_codes() {
        let g = population().group_codes(&Grouping::parse("sex").unwrap()).unwrap();
        assert_eq!(g.labels, vec!["F", "M"]);
        assert_eq!(g.of_subject, vec![0, 1, 0, 0]);
    }

    #[test]
    fn intersection_omits_empty_cells() {
        let g = population().group_codes(&Grouping::parse("sex,ethnicity").unwrap()).unwrap();
        // M×black has no subject and does not appear.
        assert_eq!(g.labels, vec!["F×black", "F×white", "M×white"]);
        assert_eq!(g.of_subject, vec![0, 2, 1, 0]);
        assert_eq!(g.grouping.name(), "sex×ethnicity");
    }

    #[test]
    fn unknown_attribute_is_an_error() {
        let e = population().group_codes(&Grouping::parse("age").unwrap()).unwrap_err();
        assert!(e.to_string().contains("unknown attribute `age`"));
    }

    #[test]
    fn subjects_are_counted_per_group() {
        let counts = population().subjects_per_group();
        assert_eq!(counts["sex"]["F"], 3);
        assert_eq!(counts["sex"]["M"], 1);
        assert_eq!(counts["ethnicity"]["black"], 2);
        assert_eq!(counts["ethnicity"]["white"], 2);
    }

    #[test]
    fn all_is_one_group() {
        let g = population().group_codes(&Grouping::all()).unwrap();
        assert_eq!(g.labels, vec!["all"]);
        assert_eq!(g.of_subject, vec![0; 4]);
    }
}
