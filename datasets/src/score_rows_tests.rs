//! Tests of the batched 1:1 score reader: the same trials in memory and spilled, CSV and
//! Parquet alike, problems located and bounded.

use super::*;
use crate::table::tests::write_parquet;
use polars::prelude::{DataFrame, IntoColumn, NamedFrom, ParquetWriter, Series};

fn index(n: u32) -> HashMap<String, u32> {
    (0..n).map(|i| (format!("s{i}"), i)).collect()
}

fn all_chunks(rows: &ScoreRows) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rows.chunks() {
        let c = rows.chunk(i).unwrap();
        out.0.extend_from_slice(&c.probe);
        out.1.extend_from_slice(&c.reference);
        out.2.extend_from_slice(&c.score);
    }
    out
}

fn read(path: &Path, subjects: u32, memory_rows: usize) -> Result<ScoreRows, Problems> {
    let mut problems = Problems::default();
    let rows = read_verification(path, &index(subjects), memory_rows, &mut problems).unwrap();
    match rows {
        Some(r) if problems.is_empty() => Ok(r),
        _ => Err(problems),
    }
}

/// `n` trials of 37 subjects; every 11th score empty (a failed trial).
fn csv_text(n: usize) -> String {
    let mut text = String::from("probe_subject,reference_subject,score\n");
    for i in 0..n {
        let score = if i % 11 == 3 { String::new() } else { format!("{}", (i as f64 * 0.37).sin()) };
        text.push_str(&format!("s{},s{},{score}\n", i % 37, (i * 7) % 37));
    }
    text
}

#[test]
fn spilled_trials_read_back_equal_to_trials_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.csv");
    let n = 2 * CHUNK_ROWS + 123;
    std::fs::write(&path, csv_text(n)).unwrap();
    let memory = read(&path, 37, MEMORY_ROWS).unwrap();
    assert!(matches!(memory.storage, Storage::Memory(_)));
    let (probe, reference, score) = all_chunks(&memory);
    assert_eq!(probe.len(), n);
    // Row 3 has an empty score: a failed trial at -inf, as VerificationTrials holds it.
    assert_eq!(score[3], f64::NEG_INFINITY);
    assert_eq!((probe[5], reference[5], score[5]), (5, 35, (5.0f64 * 0.37).sin()));
    for budget in [1, 1000, CHUNK_ROWS, CHUNK_ROWS + 1, 2 * CHUNK_ROWS + 122] {
        let spilled = read(&path, 37, budget).unwrap();
        assert!(matches!(spilled.storage, Storage::Spilled(_)), "budget {budget}");
        assert_eq!(spilled.chunks(), memory.chunks());
        assert_eq!(all_chunks(&spilled), (probe.clone(), reference.clone(), score.clone()), "budget {budget}");
        assert_eq!(
            (spilled.mated, &spilled.trial_hash, spilled.observed),
            (memory.mated, &memory.trial_hash, memory.observed)
        );
    }
    // Mated: probe == reference, i % 37 == 7i % 37, i.e. 6i ≡ 0 (mod 37): every 37th row.
    assert_eq!(memory.mated, n.div_ceil(37) as u64);
    // The hash is over the ids as the subjects table spells them.
    let mut h = Sha256::new();
    for i in 0..n {
        h.update(format!("s{}\ts{}\n", i % 37, (i * 7) % 37).as_bytes());
    }
    assert_eq!(memory.trial_hash, hex::encode(h.finalize()));
    let finite: Vec<f64> = score.iter().copied().filter(|x| x.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(memory.observed, Some((lo, hi)));
}

#[test]
fn parquet_doubles_read_as_the_text_they_write() {
    let dir = tempfile::tempdir().unwrap();
    let values = [0.1, 0.30000000000000004, 1e-300, -0.0, 123456789.12345679, 2.5e17, f64::MIN_POSITIVE];
    let probes: Vec<&str> = vec!["s0"; values.len() + 1];
    let refs: Vec<&str> = vec!["s1"; values.len() + 1];
    let mut scores: Vec<Option<f64>> = values.iter().map(|v| Some(*v)).collect();
    scores.push(None);
    let mut frame = DataFrame::new(
        probes.len(),
        vec![
            Series::new("probe_subject".into(), probes).into_column(),
            Series::new("reference_subject".into(), refs).into_column(),
            Series::new("score".into(), scores).into_column(),
        ],
    )
    .unwrap();
    let parquet = dir.path().join("v.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap()).finish(&mut frame).unwrap();
    let mut text = String::from("probe_subject,reference_subject,score\n");
    for v in values {
        text.push_str(&format!("s0,s1,{v:e}\n"));
    }
    text.push_str("s0,s1,\n");
    let csv = dir.path().join("v.csv");
    std::fs::write(&csv, text).unwrap();
    let (p, c) = (read(&parquet, 2, MEMORY_ROWS).unwrap(), read(&csv, 2, MEMORY_ROWS).unwrap());
    assert_eq!(all_chunks(&p), all_chunks(&c));
    assert_eq!(all_chunks(&p).2[..values.len()], values);
    assert_eq!((p.trial_hash, p.observed, p.mated), (c.trial_hash, c.observed, c.mated));
}

#[test]
fn parquet_text_columns_and_bad_cells_are_located_by_row_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.parquet");
    write_parquet(
        &path,
        &[
            ("probe_subject", vec![Some("s0"), Some("s9"), None]),
            ("reference_subject", vec![Some("s1"), Some("s1"), Some("s1")]),
            ("score", vec![Some("0.5"), Some("x"), Some("0.25")]),
        ],
        &[],
    );
    let problems = read(&path, 2, MEMORY_ROWS).unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let file = path.to_string_lossy();
    assert_eq!(
        shown,
        [
            format!(
                "{file}: row index 1: column probe_subject: value \"s9\": unknown subject (not in the subjects table)"
            ),
            format!("{file}: row index 1: column score: value \"x\": score is not a finite number"),
            format!("{file}: row index 2: column probe_subject: value \"\": empty subject id"),
        ]
    );
}

#[test]
fn csv_problems_name_the_editors_line_and_stop_at_a_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.csv");
    let mut text = String::from("probe_subject,reference_subject,score\r\ns0,s1,0.5\r\n");
    for i in 0..250 {
        text.push_str(&format!("s0,s1,bad{i}\r\n"));
    }
    std::fs::write(&path, text).unwrap();
    let problems = read(&path, 2, MEMORY_ROWS).unwrap_err();
    assert_eq!(problems.len(), PROBLEMS_LISTED + 1);
    let file = path.to_string_lossy();
    assert_eq!(
        problems.0[0].to_string(),
        format!("{file}:3: column score: value \"bad0\": score is not a finite number")
    );
    assert_eq!(problems.0[99].line, Some(102));
    assert_eq!(
        problems.0[100].to_string(),
        format!("{file}: 150 more problems in this file, not listed (the first 100 are)")
    );
}

#[test]
fn structural_problems_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 6] = [
        ("a.csv", b"probe_subject,reference_subject,score\n", "a.csv:1: no rows: the file holds a header only"),
        ("b.csv", b"probe_subject,score\ns0,1\n", "b.csv:1: column reference_subject: missing column"),
        ("c.csv", b"probe_subject,reference_subject,score\ns0,s1\n", "c.csv:2: row has 2 fields, the header has 3"),
        (
            "d.csv",
            b"probe_subject,reference_subject,score\ns0,s1,  \n",
            "d.csv:2: column score: value \"  \": empty score",
        ),
        (
            "e.csv",
            b"probe_subject,reference_subject,score\ns0,s\xff,1\n",
            "e.csv:2: column reference_subject: value \"s\u{fffd}\": text is not valid UTF-8 (invalid byte at offset 1 of the field)",
        ),
        ("f.txt", b"x", "f.txt: unknown table format; expected a .csv or .parquet file"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let problems = read(&path, 2, MEMORY_ROWS).unwrap_err();
        let shown = problems.0[0].to_string();
        assert_eq!(shown, format!("{}/{expected}", dir.path().display()), "{name}");
    }
}

#[test]
fn ids_of_any_length_find_their_code() {
    let ids = [
        "",
        "a",
        "a\0",
        "abcdefgh",
        "abcdefgi",
        "x".repeat(22).as_str(),
        &"x".repeat(23),
        &"x".repeat(24),
        &"é".repeat(40),
    ]
    .map(str::to_string);
    let given: HashMap<String, u32> = ids.iter().enumerate().map(|(i, id)| (id.clone(), i as u32)).collect();
    let index = IdIndex::new(&given);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(index.get(id), Some(i as u32), "{id:?}");
    }
    for unknown in ["b", "a\0\0", "abcdefg", &"x".repeat(25), "s1"] {
        assert_eq!(index.get(unknown), None, "{unknown:?}");
    }
}
