//! Problems found in a benchmark folder, and errors from writing one.
//!
//! Validation never stops at the first problem: a curator fixing a benchmark wants
//! the whole list in one pass, each with the file, line, column and value it concerns.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a benchmark, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path relative to the benchmark folder, e.g. `samples.csv` or `benchmark.toml`.
    pub file: String,
    /// 1-based; the header of a table is line 1, its first data row line 2.
    pub line: Option<u64>,
    /// A table column name, or for `benchmark.toml` the key path (`protocols[2].kind`).
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { file: file.into(), line: None, column: None, value: None, message: message.into() }
    }
    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
}

impl fmt::Display for Problem {
    /// `subjects.csv:7: column ethnicity: value "": empty attribute value`; a Parquet
    /// table has rows, not lines: `subjects.parquet: row index 5: column ...` (0-based, as
    /// polars, pandas and pyarrow number them; `line` holds the index + 2, the header
    /// being line 1 in both formats).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        let parquet = self.file.to_ascii_lowercase().ends_with(".parquet");
        match self.line {
            Some(line) if parquet && line >= 2 => write!(f, ": row index {}", line - 2)?,
            // The header of a Parquet table is no row: nothing to name.
            Some(_) if parquet => {}
            Some(line) => write!(f, ":{line}")?,
            None => {}
        }
        if let Some(column) = &self.column {
            // In the manifest the "column" is a key path; calling it a column would mislead.
            let word = if self.file.ends_with(".toml") { "key" } else { "column" };
            write!(f, ": {word} {column}")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": value {value:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a benchmark, in the order the files were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.0.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for p in &self.0 {
            write!(f, "\n{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Why a benchmark could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{0}: the folder exists, is not empty and was not written by verity; refusing to overwrite it")]
    Exists(PathBuf),
    #[error("cannot write this benchmark in the benchmark format: {0}")]
    Unrepresentable(String),
    /// The folder as written does not load back; nothing was left in place.
    #[error("the written benchmark does not validate: {0}")]
    Invalid(Problems),
}

impl DatasetError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DatasetError {
        let path = path.into();
        move |source| DatasetError::Io { path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_known_location() {
        let p = Problem::new("subjects.csv", "empty attribute value").line(7).column("ethnicity").value("");
        assert_eq!(p.to_string(), r#"subjects.csv:7: column ethnicity: value "": empty attribute value"#);
        let p = Problem::new("subjects.csv", "file not found");
        assert_eq!(p.to_string(), "subjects.csv: file not found");
        let p = Problem::new("benchmark.toml", "unknown protocol kind").line(3).column("protocols[1].kind").value("x");
        assert_eq!(p.to_string(), r#"benchmark.toml:3: key protocols[1].kind: value "x": unknown protocol kind"#);
    }

    #[test]
    fn parquet_rows_are_named_by_their_index() {
        let p = Problem::new("samples.parquet", "unknown subject").line(4).column("subject_id").value("s99");
        assert_eq!(p.to_string(), r#"samples.parquet: row index 2: column subject_id: value "s99": unknown subject"#);
        let p = Problem::new("subjects.parquet", "missing column").line(1).column("ethnicity");
        assert_eq!(p.to_string(), "subjects.parquet: column ethnicity: missing column");
    }

    #[test]
    fn problems_list_one_per_line() {
        let ps = Problems(vec![Problem::new("a.csv", "x"), Problem::new("b.csv", "y")]);
        assert_eq!(ps.to_string(), "2 problems\na.csv: x\nb.csv: y");
    }
}
