//! What a vendor produced on a protocol, as columns: the input of every metric.
//! A run fills these from templates; `verity analyse` fills them from score files.

/// 1:1 comparisons. Index `i` is one trial; it is mated when
/// `probe_subject[i] == reference_subject[i]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerificationTrials {
    pub probe_subject: Vec<u32>,
    pub reference_subject: Vec<u32>,
    /// The similarity; for a failed trial this is `f64::NEG_INFINITY`, so that it is a
    /// non-match at every threshold (NIST FRTE rule).
    pub score: Vec<f64>,
    /// A template of the pair could not be made.
    pub failed: Vec<bool>,
}

impl VerificationTrials {
    pub fn len(&self) -> usize {
        self.score.len()
    }
    pub fn is_empty(&self) -> bool {
        self.score.is_empty()
    }
    pub fn push(&mut self, probe_subject: u32, reference_subject: u32, score: Option<f64>) {
        self.probe_subject.push(probe_subject);
        self.reference_subject.push(reference_subject);
        self.score.push(score.unwrap_or(f64::NEG_INFINITY));
        self.failed.push(score.is_none());
    }
}

/// 1:N searches against one gallery size, with their candidate lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchTrials {
    /// Number of enrolled subjects.
    pub gallery_size: usize,
    /// Candidate list length L.
    pub candidates: usize,
    /// Which search of the protocol's search list this is (an index the caller maps to
    /// a search id). Nested galleries keep only the mated searches whose mate is
    /// enrolled, so the searches of different gallery sizes differ.
    pub search: Vec<u32>,
    /// The searcher's subject.
    pub subject: Vec<u32>,
    /// Whether the searcher's subject is enrolled in this gallery.
    pub mated: Vec<bool>,
    /// The search template could not be made (the list is then empty).
    pub failed: Vec<bool>,
    /// Candidates of search `i` are `offsets[i]..offsets[i+1]`, best first (rank 1 first).
    pub offsets: Vec<usize>,
    pub candidate_subject: Vec<u32>,
    pub candidate_score: Vec<f64>,
}

impl SearchTrials {
    pub fn new(gallery_size: usize, candidates: usize) -> Self {
        SearchTrials { gallery_size, candidates, offsets: vec![0], ..Default::default() }
    }
    pub fn len(&self) -> usize {
        self.subject.len()
    }
    pub fn is_empty(&self) -> bool {
        self.subject.is_empty()
    }
    /// Append a search; `list` is `(candidate subject, score)` best first, or `None`
    /// when the search template failed.
    pub fn push(&mut self, search: u32, subject: u32, mated: bool, list: Option<&[(u32, f64)]>) {
        self.search.push(search);
        self.subject.push(subject);
        self.mated.push(mated);
        self.failed.push(list.is_none());
        for &(s, score) in list.unwrap_or(&[]) {
            self.candidate_subject.push(s);
            self.candidate_score.push(score);
        }
        self.offsets.push(self.candidate_subject.len());
    }
    pub fn candidates_of(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.candidate_subject[r.clone()], &self.candidate_score[r])
    }
}

/// Whether each attempted template was made, by the subject it belongs to (for FTE/FTA).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateOutcomes {
    pub subject: Vec<u32>,
    pub role: Vec<crate::vendor::Role>,
    pub failed: Vec<bool>,
}
