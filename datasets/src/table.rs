//! Tables as rows of cells, read from CSV or Parquet (chosen by extension), so that the
//! rules are written once for both formats and every cell keeps the line it came from.
//! The table reader of verity: benchmark tables, score-level input, import sources and
//! a vendor's precomputed scores (`vendors::scores`) all read through it; a 1:1 score
//! file, which can be larger than memory, is read by `score_rows` with the same header,
//! row and field rules (`csv_header`, `next_csv_row`, `csv_field`, `parquet_cells`).

use crate::error::{Problem, Problems};
use polars::prelude::{DataType, ParquetReader, SerReader};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A Parquet list column (embedded templates).
    Floats(Vec<f64>),
    Null,
    /// Bytes that are not UTF-8; already reported, so consumers skip it silently.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Line of the row's first byte (CSV), or row number + 1 (Parquet): header is line 1.
    pub line: u64,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Path relative to the benchmark folder, as problems name it.
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Indices of the named columns, reporting each one that is missing.
    pub fn require(&self, names: &[&str], problems: &mut Problems) -> Option<Vec<usize>> {
        let found: Vec<Option<usize>> = names.iter().map(|n| self.column(n)).collect();
        for (name, index) in names.iter().zip(&found) {
            if index.is_none() {
                problems.push(Problem::new(&self.file, "missing column").line(1).column(*name));
            }
        }
        found.into_iter().collect()
    }

    /// The text of a cell that must be non-empty text, reporting it otherwise.
    pub fn text<'a>(&'a self, row: &'a Row, col: usize, empty: &str, problems: &mut Problems) -> Option<&'a str> {
        let name = self.header.get(col).map_or("", String::as_str);
        match row.cells.get(col) {
            Some(Cell::Text(s)) if !s.trim().is_empty() => Some(s.as_str()),
            Some(Cell::Invalid) => None,
            Some(Cell::Floats(_)) => {
                problems.push(Problem::new(&self.file, "expected text, found a list").line(row.line).column(name));
                None
            }
            Some(Cell::Text(s)) => {
                problems.push(Problem::new(&self.file, empty).line(row.line).column(name).value(s.as_str()));
                None
            }
            Some(Cell::Null) | None => {
                problems.push(Problem::new(&self.file, empty).line(row.line).column(name).value(""));
                None
            }
        }
    }
}

/// Read a table; a file that cannot be read at all gives one problem and `None`.
pub fn read(dir: &Path, file: &str, problems: &mut Problems) -> Option<Table> {
    let path = dir.join(file);
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        read_parquet(&path, file, problems)
    } else if lower.ends_with(".csv") {
        read_csv(&path, file, problems)
    } else {
        problems.push(Problem::new(file, "unknown table format; expected a .csv or .parquet file"));
        None
    }
}

fn read_csv(path: &Path, file: &str, problems: &mut Problems) -> Option<Table> {
    // Lines as an editor counts them, whatever the line ends (storage::csv).
    let mut reader = match storage::csv::CsvRecords::open(path) {
        Ok(r) => r,
        Err(e) => {
            problems.push(Problem::new(file, format!("cannot read: {e}")));
            return None;
        }
    };
    let names = csv_header(&mut reader, file, problems)?;
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while let Some(line) = next_csv_row(&mut reader, &mut record, names.len(), file, |p| problems.push(p)) {
        let mut cells = Vec::with_capacity(names.len());
        for (name, raw) in names.iter().zip(record.iter()) {
            match csv_field(raw, file, line, name) {
                Ok(None) => cells.push(Cell::Null),
                Ok(Some(s)) => cells.push(Cell::Text(s.to_string())),
                Err(problem) => {
                    problems.push(problem);
                    cells.push(Cell::Invalid);
                }
            }
        }
        rows.push(Row { line, cells });
    }
    Some(Table { file: file.to_string(), header: names, rows })
}

/// The next row of a CSV file with as many fields as the header (`width`): its line, or
/// `None` at the end. A malformed record, or a row with another number of fields, is a
/// problem handed to `problem` and skipped; a read error ends the file.
pub(crate) fn next_csv_row<R: std::io::Read>(
    records: &mut storage::csv::CsvRecords<R>,
    record: &mut csv::ByteRecord,
    width: usize,
    file: &str,
    mut problem: impl FnMut(Problem),
) -> Option<u64> {
    loop {
        match records.next_record(record) {
            Ok(None) => return None,
            Ok(Some(line)) if record.len() == width => return Some(line),
            Ok(Some(line)) => {
                let msg = format!("row has {} fields, the header has {width}", record.len());
                problem(Problem::new(file, msg).line(line));
            }
            Err(e) => {
                problem(Problem::new(file, format!("malformed CSV: {e}")).line(e.line));
                if matches!(e.error.kind(), csv::ErrorKind::Io(_)) {
                    return None;
                }
            }
        }
    }
}

/// A CSV field as text (`None`: empty), or the located problem of bytes that are not UTF-8.
pub(crate) fn csv_field<'a>(raw: &'a [u8], file: &str, line: u64, column: &str) -> Result<Option<&'a str>, Problem> {
    match std::str::from_utf8(raw) {
        Ok("") => Ok(None),
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let msg = format!("text is not valid UTF-8 (invalid byte at offset {} of the field)", e.valid_up_to());
            Err(Problem::new(file, msg).line(line).column(column).value(String::from_utf8_lossy(raw).into_owned()))
        }
    }
}

/// The header of a CSV file, its names trimmed (a byte-order mark dropped); problems for
/// a missing or empty header, names that are not UTF-8 and repeated names.
pub(crate) fn csv_header<R: std::io::Read>(
    reader: &mut storage::csv::CsvRecords<R>,
    file: &str,
    problems: &mut Problems,
) -> Option<Vec<String>> {
    let mut header = csv::ByteRecord::new();
    match reader.next_record(&mut header) {
        Ok(Some(_)) => {}
        Ok(None) => {
            problems.push(Problem::new(file, "empty table: no header row").line(1));
            return None;
        }
        Err(e) => {
            problems.push(Problem::new(file, format!("cannot read the header: {e}")).line(e.line.max(1)));
            return None;
        }
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        match std::str::from_utf8(raw) {
            Ok(s) => names.push(s.trim().trim_start_matches('\u{feff}').to_string()),
            Err(_) => {
                let shown = String::from_utf8_lossy(raw).into_owned();
                problems.push(
                    Problem::new(file, "text is not valid UTF-8").line(1).column(format!("#{}", i + 1)).value(shown),
                );
                names.push(String::new());
            }
        }
    }
    if names.iter().all(String::is_empty) {
        problems.push(Problem::new(file, "empty table: no header row").line(1));
        return None;
    }
    for (i, name) in names.iter().enumerate() {
        if !name.is_empty() && names[..i].contains(name) {
            problems.push(Problem::new(file, "duplicate column").line(1).column(name.as_str()));
        }
    }
    Some(names)
}

fn read_parquet(path: &Path, file: &str, problems: &mut Problems) -> Option<Table> {
    let handle = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::new(file, format!("cannot read: {e}")));
            return None;
        }
    };
    let frame = match ParquetReader::new(handle).finish() {
        Ok(f) => f,
        Err(e) => {
            problems.push(Problem::new(file, format!("cannot read Parquet: {e}")));
            return None;
        }
    };
    let height = frame.height();
    let mut header = Vec::new();
    let mut columns: Vec<Vec<Cell>> = Vec::new();
    for column in frame.columns() {
        let name = column.name().to_string();
        match parquet_cells(column, height) {
            Ok(cells) => columns.push(cells),
            Err(message) => {
                problems.push(Problem::new(file, message).line(1).column(name.as_str()));
                columns.push(vec![Cell::Invalid; height]);
            }
        }
        header.push(name);
    }
    let mut rows: Vec<Row> =
        (0..height).map(|i| Row { line: i as u64 + 2, cells: Vec::with_capacity(header.len()) }).collect();
    for column in columns {
        for (row, cell) in rows.iter_mut().zip(column) {
            row.cells.push(cell);
        }
    }
    Some(Table { file: file.to_string(), header, rows })
}

pub(crate) fn parquet_cells(column: &polars::prelude::Column, height: usize) -> Result<Vec<Cell>, String> {
    let mut out = Vec::with_capacity(height);
    match column.dtype() {
        DataType::List(inner) if inner.is_primitive_numeric() => {
            let lists = column.list().map_err(|e| e.to_string())?;
            for item in lists.series_iter() {
                match item {
                    None => out.push(Cell::Null),
                    Some(series) => {
                        let floats = series.cast(&DataType::Float64).map_err(|e| e.to_string())?;
                        let values = floats.f64().map_err(|e| e.to_string())?;
                        // A null inside a template is as unusable as NaN; the finiteness rule reports it.
                        out.push(Cell::Floats(values.iter().map(|v| v.unwrap_or(f64::NAN)).collect()));
                    }
                }
            }
        }
        DataType::List(inner) => {
            return Err(format!("unsupported column type list<{inner}>; templates are lists of floats"));
        }
        _ => {
            let text =
                column.cast(&DataType::String).map_err(|_| format!("unsupported column type {}", column.dtype()))?;
            let values = text.str().map_err(|e| e.to_string())?;
            for v in values.iter() {
                out.push(match v {
                    None | Some("") => Cell::Null,
                    Some(s) => Cell::Text(s.to_string()),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use polars::prelude::{DataFrame, IntoColumn, IntoSeries, ListChunked, NamedFrom, ParquetWriter, Series};

    fn csv(text: &[u8]) -> (Option<Table>, Problems) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), text).unwrap();
        let mut problems = Problems::default();
        (read(dir.path(), "t.csv", &mut problems), problems)
    }

    /// Write a Parquet table of text columns and optional list<f32> columns.
    pub(crate) fn write_parquet(
        path: &Path,
        text: &[(&str, Vec<Option<&str>>)],
        lists: &[(&str, Vec<Option<Vec<f32>>>)],
    ) {
        let mut columns = Vec::new();
        for (name, values) in text {
            columns.push(Series::new((*name).into(), values.clone()).into_column());
        }
        for (name, values) in lists {
            let series: Vec<Option<Series>> =
                values.iter().map(|v| v.as_ref().map(|v| Series::new("".into(), v.clone()))).collect();
            let mut list: ListChunked = series.into_iter().collect();
            list.rename((*name).into());
            columns.push(list.into_series().into_column());
        }
        let height = columns.first().map_or(0, |c| c.len());
        let mut frame = DataFrame::new(height, columns).unwrap();
        ParquetWriter::new(std::fs::File::create(path).unwrap()).finish(&mut frame).unwrap();
    }

    #[test]
    fn csv_lines_survive_quoted_newlines() {
        let (t, problems) = csv(b"id,note\na,\"two\nlines\"\nb,x\n");
        assert!(problems.is_empty(), "{problems}");
        let t = t.unwrap();
        assert_eq!(t.header, ["id", "note"]);
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(t.rows[0].cells[1], Cell::Text("two\nlines".into()));
    }

    #[test]
    fn csv_lines_are_the_editors_whatever_the_line_ends() {
        for text in [
            &b"id,sex\na,F\nb,M\nc,F\nd,x\n"[..],
            b"id,sex\r\na,F\r\nb,M\r\nc,F\r\nd,x\r\n",
            b"id,sex\ra,F\rb,M\rc,F\rd,x\r",
        ] {
            let (t, problems) = csv(text);
            assert!(problems.is_empty(), "{problems}");
            assert_eq!(t.unwrap().rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4, 5]);
        }
        // A byte-order mark is not part of the first column's name.
        let (t, _) = csv(b"\xef\xbb\xbfid,sex\na,F\n");
        assert_eq!(t.unwrap().header, ["id", "sex"]);
    }

    #[test]
    fn csv_non_utf8_is_reported_with_its_line() {
        let (t, problems) = csv(b"id,sex\na,F\nb,\xff\n");
        assert_eq!(problems.len(), 1);
        let p = &problems.0[0];
        assert_eq!((p.line, p.column.as_deref()), (Some(3), Some("sex")));
        assert!(p.message.contains("not valid UTF-8"));
        assert_eq!(t.unwrap().rows[1].cells[1], Cell::Invalid);
    }

    #[test]
    fn csv_ragged_rows_and_duplicate_columns() {
        let (_, problems) = csv(b"id,id\na\nb,c\n");
        let all = problems.to_string();
        assert!(all.contains("t.csv:1: column id: duplicate column"), "{all}");
        assert!(all.contains("t.csv:2: row has 1 fields, the header has 2"), "{all}");
    }

    #[test]
    fn empty_csv_and_unknown_extension() {
        let (t, problems) = csv(b"");
        assert!(t.is_none());
        assert!(problems.to_string().contains("no header row"));
        let mut problems = Problems::default();
        assert!(read(Path::new("."), "t.xlsx", &mut problems).is_none());
        assert!(problems.to_string().contains("unknown table format"));
    }

    #[test]
    fn required_columns_and_text_cells() {
        let (t, _) = csv(b"id,sex\na,\n");
        let t = t.unwrap();
        let mut problems = Problems::default();
        assert!(t.require(&["id", "age"], &mut problems).is_none());
        assert_eq!(problems.to_string(), "1 problem\nt.csv:1: column age: missing column");
        let mut problems = Problems::default();
        assert_eq!(t.text(&t.rows[0], 1, "empty attribute value", &mut problems), None);
        assert_eq!(problems.0[0].to_string(), r#"t.csv:2: column sex: value "": empty attribute value"#);
    }

    #[test]
    fn parquet_text_and_list_columns() {
        let dir = tempfile::tempdir().unwrap();
        write_parquet(
            &dir.path().join("t.parquet"),
            &[("id", vec![Some("a"), None])],
            &[("template", vec![Some(vec![1.0, 2.5]), None])],
        );
        let mut problems = Problems::default();
        let t = read(dir.path(), "t.parquet", &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(t.header, ["id", "template"]);
        assert_eq!(t.rows[0], Row { line: 2, cells: vec![Cell::Text("a".into()), Cell::Floats(vec![1.0, 2.5])] });
        assert_eq!(t.rows[1], Row { line: 3, cells: vec![Cell::Null, Cell::Null] });
    }

    #[test]
    fn unreadable_parquet_is_one_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.parquet"), b"not parquet").unwrap();
        let mut problems = Problems::default();
        assert!(read(dir.path(), "t.parquet", &mut problems).is_none());
        assert!(problems.to_string().contains("cannot read Parquet"), "{problems}");
    }
}

/// Writes the Parquet tables of the `tests/broken/parquet-*` cases from the tiny
/// fixture (run after `tests/broken/make_corpus.py`):
/// `cargo test -p datasets -- --ignored write_parquet_fixtures`.
#[cfg(test)]
mod parquet_fixtures {
    use super::tests::write_parquet;
    use super::*;

    fn text_column(t: &Table, name: &str) -> Vec<Option<String>> {
        let c = t.column(name).expect("fixture column");
        t.rows.iter().map(|r| if let Cell::Text(s) = &r.cells[c] { Some(s.clone()) } else { None }).collect()
    }

    fn borrowed(v: &[Option<String>]) -> Vec<Option<&str>> {
        v.iter().map(|s| s.as_deref()).collect()
    }

    #[test]
    #[ignore = "regenerates committed fixtures"]
    fn write_parquet_fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let tiny = root.join("tests/fixtures/tiny");
        let broken = root.join("tests/broken");
        let mut problems = Problems::default();
        let samples = read(&tiny, "samples.csv", &mut problems).expect("tiny samples");
        let subjects = read(&tiny, "subjects.csv", &mut problems).expect("tiny subjects");
        assert!(problems.is_empty(), "{problems}");

        // parquet-samples: an unknown subject on line 4 and a NaN in the template on line 6.
        let ids = text_column(&samples, "sample_id");
        let mut owners = text_column(&samples, "subject_id");
        owners[2] = Some("s99".into());
        let mut templates: Vec<Option<Vec<f32>>> = text_column(&samples, "template")
            .iter()
            .map(|t| t.as_ref().map(|t| t.split_whitespace().map(|v| v.parse().expect("fixture float")).collect()))
            .collect();
        if let Some(Some(t)) = templates.get_mut(4) {
            t[1] = f32::NAN;
        }
        write_parquet(
            &broken.join("parquet-samples/samples.parquet"),
            &[("sample_id", borrowed(&ids)), ("subject_id", borrowed(&owners))],
            &[("template", templates)],
        );

        // parquet-subjects-missing-column: the ethnicity column left out.
        let ids = text_column(&subjects, "subject_id");
        let sex = text_column(&subjects, "sex");
        write_parquet(
            &broken.join("parquet-subjects-missing-column/subjects.parquet"),
            &[("subject_id", borrowed(&ids)), ("sex", borrowed(&sex))],
            &[],
        );
    }
}
