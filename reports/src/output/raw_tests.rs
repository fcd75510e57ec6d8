use super::*;
use std::fs::File;

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap()).finish().unwrap()
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    let ca = df.column(c).unwrap().str().unwrap();
    (0..ca.len()).map(|i| ca.get(i).map(str::to_string)).collect()
}

fn opt<T: AsRef<str>>(v: &[Option<String>], expected: &[Option<T>]) -> bool {
    v.len() == expected.len() && v.iter().zip(expected).all(|(a, b)| a.as_deref() == b.as_ref().map(|x| x.as_ref()))
}

fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names().into_iter().map(|s| s.to_string()).collect()
}

#[test]
fn verification_scores_read_back() {
    let mut trials = VerificationTrials::default();
    trials.push(0, 0, Some(0.75));
    trials.push(0, 1, Some(-0.125));
    trials.push(1, 1, None);
    let subjects = ids("s", 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.scores.parquet");
    write_verification_scores(&path, &trials, &ids("probe", 3), &ids("ref", 3), &subjects).unwrap();
    let df = read(&path);
    assert_eq!(names(&df), ["probe", "reference", "probe_subject", "reference_subject", "mated", "score", "failed"]);
    assert_eq!(df.height(), 3);
    let s = |c: &str, i: usize| df.column(c).unwrap().str().unwrap().get(i).map(str::to_string);
    assert_eq!(s("probe", 1).as_deref(), Some("probe1"));
    assert_eq!(s("reference", 2).as_deref(), Some("ref2"));
    assert_eq!(s("reference_subject", 1).as_deref(), Some("s1"));
    let mated = df.column("mated").unwrap().bool().unwrap();
    assert_eq!((mated.get(0), mated.get(1), mated.get(2)), (Some(true), Some(false), Some(true)));
    let score = df.column("score").unwrap().f64().unwrap();
    assert_eq!((score.get(0), score.get(1), score.get(2)), (Some(0.75), Some(-0.125), None));
    let failed = df.column("failed").unwrap().bool().unwrap();
    assert_eq!(failed.get(2), Some(true));
}

#[test]
fn verification_errors_are_typed_and_leave_no_file() {
    let mut trials = VerificationTrials::default();
    trials.push(0, 5, Some(0.5));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    let err = write_verification_scores(&path, &trials, &ids("p", 1), &ids("r", 1), &ids("s", 2)).unwrap_err();
    assert!(matches!(err, ReportError::UnknownSubject { index: 5, subjects: 2, .. }), "{err}");
    let err = write_verification_scores(&path, &trials, &ids("p", 2), &ids("r", 1), &ids("s", 6)).unwrap_err();
    assert!(matches!(err, ReportError::LengthMismatch { expected: 1, found: 2, .. }), "{err}");
    trials.score[0] = f64::NAN;
    let err = write_verification_scores(&path, &trials, &ids("p", 1), &ids("r", 1), &ids("s", 6)).unwrap_err();
    assert!(matches!(err, ReportError::NonFinite { .. }), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn candidates_read_back_with_failed_and_empty_searches() {
    let subjects = ids("s", 4);
    let mut small = SearchTrials::new(2, 2);
    small.push(0, 0, true, Some(&[(0, 0.9), (1, 0.4)]));
    small.push(1, 3, false, Some(&[]));
    small.push(2, 2, false, None);
    let mut large = SearchTrials::new(3, 2);
    large.push(0, 0, true, Some(&[(0, 0.9)]));
    large.push(1, 3, false, Some(&[(2, 0.7), (1, 0.3)]));
    large.push(2, 2, true, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.candidates.parquet");
    write_candidates(&path, &[small, large], &ids("q", 3), &subjects).unwrap();
    let df = read(&path);
    assert_eq!(
        names(&df),
        ["gallery_size", "search", "search_subject", "mated", "failed", "rank", "candidate_subject", "score"]
    );
    assert_eq!(df.height(), 4 + 4);
    assert_eq!(df.column("gallery_size").unwrap().dtype(), &DataType::UInt64);
    let ca = df.column("gallery_size").unwrap().u64().unwrap();
    let gallery: Vec<Option<u64>> = (0..ca.len()).map(|i| ca.get(i)).collect();
    assert_eq!(gallery, [2, 2, 2, 2, 3, 3, 3, 3].map(Some));
    assert!(opt(&strs(&df, "search"), &["q0", "q0", "q1", "q2", "q0", "q1", "q1", "q2"].map(Some)));
    let ca = df.column("rank").unwrap().u32().unwrap();
    let rank: Vec<Option<u32>> = (0..ca.len()).map(|i| ca.get(i)).collect();
    assert_eq!(rank, [Some(1), Some(2), None, None, Some(1), Some(1), Some(2), None]);
    let candidate = strs(&df, "candidate_subject");
    assert!(
        opt(&candidate, &[Some("s0"), Some("s1"), None, None, Some("s0"), Some("s2"), Some("s1"), None]),
        "{candidate:?}"
    );
    let ca = df.column("score").unwrap().f64().unwrap();
    let score: Vec<Option<f64>> = (0..ca.len()).map(|i| ca.get(i)).collect();
    assert_eq!(score, [Some(0.9), Some(0.4), None, None, Some(0.9), Some(0.7), Some(0.3), None]);
    let ca = df.column("failed").unwrap().bool().unwrap();
    let failed: Vec<Option<bool>> = (0..ca.len()).map(|i| ca.get(i)).collect();
    assert_eq!(failed, [false, false, false, true, false, false, false, true].map(Some));
    let ca = df.column("mated").unwrap().bool().unwrap();
    let mated: Vec<Option<bool>> = (0..ca.len()).map(|i| ca.get(i)).collect();
    assert_eq!(mated, [true, true, false, false, true, false, false, true].map(Some));
    assert_eq!(strs(&df, "search_subject")[3].as_deref(), Some("s2"));
}

#[test]
fn candidates_with_wrong_search_ids_are_refused() {
    let mut s = SearchTrials::new(2, 1);
    s.push(0, 0, true, Some(&[(0, 0.9)]));
    s.push(3, 0, true, Some(&[(0, 0.8)]));
    let dir = tempfile::tempdir().unwrap();
    let err = write_candidates(&dir.path().join("c.parquet"), &[s.clone()], &ids("q", 2), &ids("s", 1)).unwrap_err();
    assert!(matches!(err, ReportError::LengthMismatch { expected: 4, found: 2, .. }), "{err}");
    s.mated.pop();
    let err = write_candidates(&dir.path().join("c.parquet"), &[s], &ids("q", 4), &ids("s", 1)).unwrap_err();
    assert!(matches!(err, ReportError::LengthMismatch { expected: 2, found: 1, .. }), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn many_rows_span_several_row_groups() {
    let n = ROWS_PER_GROUP + 10;
    let mut trials = VerificationTrials::default();
    for i in 0..n {
        trials.push((i % 3) as u32, (i % 2) as u32, Some(i as f64 / n as f64));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.parquet");
    let probes = ids("p", n);
    write_verification_scores(&path, &trials, &probes, &probes, &ids("s", 3)).unwrap();
    let df = read(&path);
    assert_eq!(df.height(), n);
    let score = df.column("score").unwrap().f64().unwrap();
    assert_eq!(score.get(n - 1), Some((n - 1) as f64 / n as f64));
    assert_eq!(df.column("probe").unwrap().str().unwrap().get(n - 1), Some(format!("p{}", n - 1).as_str()));
}

#[test]
fn failures_read_back_and_empty_file_has_columns() {
    let rows = vec![
        FailureRecord {
            sample: "img-7".into(),
            role: Role::Enrol,
            code: FailureCode::FaceDetectionError,
            message: "no face".into(),
        },
        FailureRecord {
            sample: "img-9".into(),
            role: Role::Search,
            code: FailureCode::VendorError,
            message: String::new(),
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("failures.parquet");
    write_failures(&path, &rows).unwrap();
    let df = read(&path);
    assert_eq!(names(&df), ["sample", "role", "code", "message"]);
    let col = |c: &str| strs(&df, c);
    assert_eq!(col("role"), [Some("enrol".to_string()), Some("search".to_string())]);
    assert_eq!(col("code"), [Some("face-detection-error".to_string()), Some("vendor-error".to_string())]);
    assert_eq!(col("message")[0].as_deref(), Some("no face"));

    write_failures(&path, &[]).unwrap();
    let df = read(&path);
    assert_eq!(df.shape(), (0, 4));
}

#[test]
fn verification_scores_round_trip() {
    let mut trials = VerificationTrials::default();
    trials.push(0, 0, Some(0.75));
    trials.push(0, 2, Some(-0.125));
    trials.push(2, 2, None);
    trials.push(1, 0, Some(1e-300));
    let subjects = ids("s", 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.scores.parquet");
    write_verification_scores(&path, &trials, &ids("probe", 4), &ids("ref", 4), &subjects).unwrap();
    let back = read_verification_scores(&path, &mut SubjectIndex::fixed(subjects.clone())).unwrap();
    assert_eq!(back, trials);
    assert_eq!(back.score[2], f64::NEG_INFINITY);

    // Without the benchmark: subjects numbered as first seen.
    let mut growing = SubjectIndex::growing();
    let back = read_verification_scores(&path, &mut growing).unwrap();
    assert_eq!(growing.ids(), ["s0", "s2", "s1"]);
    assert_eq!(back.probe_subject, [0, 0, 1, 2]);
    assert_eq!(back.reference_subject, [0, 1, 1, 0]);
    assert_eq!(back.score, trials.score);

    // A subject the benchmark does not have is an error naming the row.
    let err = read_verification_scores(&path, &mut SubjectIndex::fixed(ids("s", 2))).unwrap_err();
    assert!(err.to_string().contains("row 2: subject `s2`"), "{err}");
}

#[test]
fn candidates_round_trip() {
    let subjects = ids("s", 4);
    let mut small = SearchTrials::new(2, 2);
    small.push(0, 0, true, Some(&[(0, 0.9), (1, 0.4)]));
    small.push(1, 3, false, Some(&[]));
    small.push(2, 2, false, None);
    let mut large = SearchTrials::new(3, 2);
    large.push(0, 0, true, Some(&[(0, 0.9)]));
    large.push(1, 3, false, Some(&[(2, 0.7), (1, 0.3)]));
    large.push(2, 2, true, None);
    large.push(3, 1, true, Some(&[(1, 0.5), (1, 0.5)]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.candidates.parquet");
    let searches = vec![small, large];
    write_candidates(&path, &searches, &ids("q", 4), &subjects).unwrap();
    let back = read_candidates(&path, &mut SubjectIndex::fixed(subjects.clone()), Some(2)).unwrap();
    assert_eq!(back.searches, searches);
    assert_eq!(back.search_ids, ids("q", 4));
    // L defaults to the longest list in the file.
    let back = read_candidates(&path, &mut SubjectIndex::fixed(subjects.clone()), None).unwrap();
    assert_eq!(back.searches, searches);
    // A declared L shorter than a list is an error.
    let err = read_candidates(&path, &mut SubjectIndex::fixed(subjects), Some(1)).unwrap_err();
    assert!(err.to_string().contains("more than 1 candidates"), "{err}");
}

#[test]
fn candidates_search_ids_are_numbered_as_first_seen() {
    // Search 1 is absent from the smaller gallery (its mate is not enrolled there).
    let subjects = ids("s", 3);
    let mut small = SearchTrials::new(1, 1);
    small.push(0, 0, true, Some(&[(0, 0.9)]));
    small.push(2, 2, false, Some(&[(0, 0.2)]));
    let mut large = SearchTrials::new(2, 1);
    large.push(0, 0, true, Some(&[(0, 0.9)]));
    large.push(1, 1, true, Some(&[(1, 0.8)]));
    large.push(2, 2, false, Some(&[(1, 0.3)]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.candidates.parquet");
    write_candidates(&path, &[small.clone(), large.clone()], &ids("q", 3), &subjects).unwrap();
    let back = read_candidates(&path, &mut SubjectIndex::fixed(subjects), Some(1)).unwrap();
    assert_eq!(back.search_ids, ["q0", "q2", "q1"]);
    for (read, written) in back.searches.iter().zip([&small, &large]) {
        let named = |t: &SearchTrials, ids: &[String]| -> Vec<String> {
            t.search.iter().map(|&i| ids[i as usize].clone()).collect()
        };
        assert_eq!(named(read, &back.search_ids), named(written, &ids("q", 3)));
        assert_eq!(
            (&read.subject, &read.mated, &read.candidate_score),
            (&written.subject, &written.mated, &written.candidate_score)
        );
    }
}
