//! A small typed table with one writer for CSV and one for Parquet, so every derived
//! table (rates, calibrations, EER, cross-group FMR) goes through the same code path
//! and is formatted the same way.
//!
//! CSV: a missing value (undefined, not applicable) is an empty cell, never `NaN`;
//! floats are printed with Rust's `Display`, the shortest text that parses back to the
//! same `f64` (round-trip exact; no exponent, so `1e-6` prints as `0.000001`).
//! Parquet: missing values are nulls; counts are `UInt64`, ranks `UInt32`, rates and
//! thresholds `Float64`, text `String`.

use crate::ReportError;
use crate::atomic;
use crate::output::finite;
use polars::prelude::*;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// The values of one column; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Str(Vec<Option<String>>),
    U64(Vec<Option<u64>>),
    U32(Vec<Option<u32>>),
    F64(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Str(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::U32(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Bool(v) => v.len(),
        }
    }

    /// The CSV text of row `i` (empty for a missing value).
    fn text(&self, i: usize) -> String {
        fn or_empty<T: ToString>(v: &Option<T>) -> String {
            v.as_ref().map(T::to_string).unwrap_or_default()
        }
        match self {
            Values::Str(v) => v[i].clone().unwrap_or_default(),
            Values::U64(v) => or_empty(&v[i]),
            Values::U32(v) => or_empty(&v[i]),
            Values::F64(v) => or_empty(&v[i]),
            Values::Bool(v) => or_empty(&v[i]),
        }
    }
}

/// One value of a row being pushed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Str(Option<String>),
    U64(Option<u64>),
    U32(Option<u32>),
    F64(Option<f64>),
    Bool(Option<bool>),
}

impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Str(Some(v.to_string()))
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Str(Some(v))
    }
}
impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Self {
        Cell::Str(v)
    }
}
impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::U64(Some(v))
    }
}
impl From<Option<u64>> for Cell {
    fn from(v: Option<u64>) -> Self {
        Cell::U64(v)
    }
}
impl From<Option<u32>> for Cell {
    fn from(v: Option<u32>) -> Self {
        Cell::U32(v)
    }
}
impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::F64(Some(v))
    }
}
impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        Cell::F64(v)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: &'static str,
    pub values: Values,
}

/// Columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
}

/// The type of an empty column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    U64,
    U32,
    F64,
    Bool,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(schema: &[(&'static str, Kind)]) -> Self {
        let columns = schema
            .iter()
            .map(|&(name, kind)| Column {
                name,
                values: match kind {
                    Kind::Str => Values::Str(Vec::new()),
                    Kind::U64 => Values::U64(Vec::new()),
                    Kind::U32 => Values::U32(Vec::new()),
                    Kind::F64 => Values::F64(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                },
            })
            .collect();
        Table { columns }
    }

    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// Append a row. Floats must be finite (an undefined value is `None`).
    ///
    /// # Panics
    /// When the row does not match the columns in number and type: a bug in the
    /// table's builder in this crate, never a property of the data.
    pub fn push(&mut self, row: Vec<Cell>) -> Result<(), ReportError> {
        assert_eq!(row.len(), self.columns.len(), "row does not match the table's columns");
        let row_index = self.len();
        for (column, cell) in self.columns.iter_mut().zip(&row) {
            if let Cell::F64(Some(v)) = cell {
                finite::finite(format!("column `{}` row {}", column.name, row_index + 1), *v)?;
            }
        }
        for (column, cell) in self.columns.iter_mut().zip(row) {
            match (&mut column.values, cell) {
                (Values::Str(v), Cell::Str(x)) => v.push(x),
                (Values::U64(v), Cell::U64(x)) => v.push(x),
                (Values::U32(v), Cell::U32(x)) => v.push(x),
                (Values::F64(v), Cell::F64(x)) => v.push(x),
                (Values::Bool(v), Cell::Bool(x)) => v.push(x),
                (_, cell) => panic!("column `{}` cannot hold {cell:?}", column.name),
            }
        }
        Ok(())
    }

    /// The CSV text: a header line, then one line per row (`\n` line ends).
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        writer.write_record(self.names())?;
        for i in 0..self.len() {
            writer.write_record(self.columns.iter().map(|c| c.values.text(i)))?;
        }
        writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }

    pub fn write_csv(&self, path: &Path) -> Result<(), ReportError> {
        let bytes = self.to_csv().map_err(|source| ReportError::Csv { path: path.to_path_buf(), source })?;
        Ok(atomic::write_bytes(path, &bytes)?)
    }

    pub fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        let columns: Vec<polars::prelude::Column> = self
            .columns
            .iter()
            .map(|c| {
                let name = PlSmallStr::from_str(c.name);
                let series = match &c.values {
                    Values::Str(v) => {
                        StringChunked::from_iter_options(name, v.iter().map(|x| x.as_deref())).into_series()
                    }
                    Values::U64(v) => UInt64Chunked::from_slice_options(name, v).into_series(),
                    Values::U32(v) => UInt32Chunked::from_slice_options(name, v).into_series(),
                    Values::F64(v) => Float64Chunked::from_slice_options(name, v).into_series(),
                    Values::Bool(v) => BooleanChunked::from_slice_options(name, v).into_series(),
                };
                series.into_column()
            })
            .collect();
        DataFrame::new(self.len(), columns)
    }

    pub fn write_parquet(&self, path: &Path) -> Result<(), ReportError> {
        let frame = self.to_dataframe().map_err(|source| ReportError::Parquet { path: path.to_path_buf(), source })?;
        write_parquet_frames(path, std::iter::once(Ok(frame)))
    }
}

/// Receives the frames of one Parquet file, written as they come ([`write_parquet_streamed`]).
pub struct FrameSink<'a> {
    path: &'a Path,
    out: Option<&'a mut BufWriter<File>>,
    writer: Option<BatchedWriter<&'a mut BufWriter<File>>>,
}

impl FrameSink<'_> {
    /// Append a frame as one row group (more when large); the first frame's schema is
    /// the file's.
    pub fn write(&mut self, frame: &DataFrame) -> Result<(), ReportError> {
        let path = self.path;
        let parquet = |source| ReportError::Parquet { path: path.to_path_buf(), source };
        let writer = match (&mut self.writer, self.out.take()) {
            (Some(writer), _) => writer,
            (None, Some(out)) => self.writer.insert(ParquetWriter::new(out).batched(frame.schema()).map_err(parquet)?),
            (None, None) => unreachable!("FrameSink has either a writer or its output"),
        };
        writer.write_batch(frame).map_err(parquet)
    }
}

/// Write one Parquet file atomically from frames that `produce` hands to the sink one at
/// a time, so a large output never has to be held whole in memory. `produce` must
/// write at least one frame (possibly empty), which gives the file its columns.
pub fn write_parquet_streamed<F>(path: &Path, produce: F) -> Result<(), ReportError>
where
    F: FnOnce(&mut FrameSink<'_>) -> Result<(), ReportError>,
{
    let mut file = atomic::AtomicFile::create(path)?;
    {
        let mut sink = FrameSink { path, out: Some(file.writer()), writer: None };
        produce(&mut sink)?;
        let writer = sink.writer.ok_or_else(|| ReportError::Parquet {
            path: path.to_path_buf(),
            source: polars_err!(NoData: "no frame to take the columns from"),
        })?;
        writer.finish().map_err(|source| ReportError::Parquet { path: path.to_path_buf(), source })?;
    }
    Ok(file.commit()?)
}

/// Write frames of one schema as one Parquet file, atomically.
pub fn write_parquet_frames<I>(path: &Path, frames: I) -> Result<(), ReportError>
where
    I: IntoIterator<Item = Result<DataFrame, ReportError>>,
{
    write_parquet_streamed(path, |sink| {
        for frame in frames {
            sink.write(&frame?)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(&[("name", Kind::Str), ("count", Kind::U64), ("rate", Kind::F64)]);
        t.push(vec!["a,b".into(), 3u64.into(), Some(0.1 + 0.2).into()]).unwrap();
        t.push(vec![Cell::Str(None), Cell::U64(None), Cell::F64(None)]).unwrap();
        t.push(vec!["c".into(), 0u64.into(), 1e-7.into()]).unwrap();
        t
    }

    #[test]
    fn csv_has_empty_cells_and_round_trip_floats() {
        let text = String::from_utf8(sample().to_csv().unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, vec!["name,count,rate", "\"a,b\",3,0.30000000000000004", ",,", "c,0,0.0000001"]);
        assert_eq!("0.30000000000000004".parse::<f64>().unwrap(), 0.1 + 0.2);
    }

    #[test]
    fn non_finite_values_are_refused() {
        let mut t = Table::new(&[("rate", Kind::F64)]);
        let err = t.push(vec![f64::NAN.into()]).unwrap_err();
        assert!(matches!(err, ReportError::NonFinite { ref field, .. } if field == "column `rate` row 1"), "{err}");
        assert!(t.push(vec![f64::NEG_INFINITY.into()]).is_err());
        assert!(t.is_empty());
    }

    #[test]
    fn parquet_reads_back_with_nulls_and_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        sample().write_parquet(&path).unwrap();
        let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        assert_eq!(df.shape(), (3, 3));
        assert_eq!(df.column("count").unwrap().dtype(), &DataType::UInt64);
        assert_eq!(df.column("rate").unwrap().dtype(), &DataType::Float64);
        let rate = df.column("rate").unwrap().f64().unwrap();
        assert_eq!(rate.get(0), Some(0.1 + 0.2));
        assert_eq!(rate.get(1), None);
        let name = df.column("name").unwrap().str().unwrap();
        assert_eq!(name.get(0), Some("a,b"));
        assert_eq!(name.get(1), None);
    }

    #[test]
    fn empty_table_still_has_its_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.parquet");
        let t = Table::new(&[("a", Kind::Str), ("b", Kind::U32)]);
        t.write_parquet(&path).unwrap();
        let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        assert_eq!(df.shape(), (0, 2));
        assert_eq!(String::from_utf8(t.to_csv().unwrap()).unwrap(), "a,b\n");
    }
}
