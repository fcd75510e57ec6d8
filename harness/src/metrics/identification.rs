//! Per-search quantities of 1:N open-set identification (NISTIR 8271), as columns.

use crate::model::trials::SearchTrials;

/// Columns derived once from candidate lists.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchColumns {
    /// Rank of the searcher's own subject in the list (1-based), 0 when absent.
    pub mate_rank: Vec<u32>,
    /// Score of the mate, `-inf` when absent or the search failed.
    pub mate_score: Vec<f64>,
    /// Highest candidate score, `-inf` for an empty list or a failed search.
    pub top_score: Vec<f64>,
}

pub fn search_columns(trials: &SearchTrials) -> SearchColumns {
    let n = trials.len();
    let mut out = SearchColumns {
        mate_rank: vec![0; n],
        mate_score: vec![f64::NEG_INFINITY; n],
        top_score: vec![f64::NEG_INFINITY; n],
    };
    for i in 0..n {
        let (subjects, scores) = trials.candidates_of(i);
        out.top_score[i] = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if trials.mated[i]
            && let Some(r) = subjects.iter().position(|&s| s == trials.subject[i])
        {
            out.mate_rank[i] = r as u32 + 1;
            out.mate_score[i] = scores[r];
        }
    }
    out
}

/// The mate's score where it is returned at rank <= `rank`, else `-inf`: a hit at
/// threshold T is then exactly "score >= T", so FNIR(N, R, T) counts from one sort.
pub fn mate_score_within_rank(columns: &SearchColumns, rank: u32) -> Vec<f64> {
    columns
        .mate_rank
        .iter()
        .zip(&columns.mate_score)
        .map(|(&r, &s)| if r >= 1 && r <= rank { s } else { f64::NEG_INFINITY })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mate_rank_and_top_score() {
        let mut t = SearchTrials::new(3, 2);
        t.push(0, 7, true, Some(&[(3, 0.9), (7, 0.8)]));
        t.push(1, 8, true, Some(&[(3, 0.7), (4, 0.6)]));
        t.push(2, 9, false, Some(&[(3, 0.5), (4, 0.2)]));
        t.push(3, 7, true, None);
        let c = search_columns(&t);
        assert_eq!(c.mate_rank, vec![2, 0, 0, 0]);
        assert_eq!(c.mate_score, vec![0.8, f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY]);
        assert_eq!(c.top_score, vec![0.9, 0.7, 0.5, f64::NEG_INFINITY]);
        // The mate at rank 2 is a miss at rank 1.
        assert_eq!(mate_score_within_rank(&c, 1)[0], f64::NEG_INFINITY);
        assert_eq!(mate_score_within_rank(&c, 2)[0], 0.8);
    }
}
