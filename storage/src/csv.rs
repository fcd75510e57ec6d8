//! CSV records with the line an editor shows for each, streamed: memory does not grow
//! with the file. Every CSV reader of verity goes through here, so a message about a
//! record names the same line in every command.

use crate::lines::{LineCounter, LineTracking};
use std::io::Read;

/// A CSV error with the line it was found on (0 when the error has no position).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct CsvError {
    pub line: u64,
    pub error: csv::Error,
}

/// A CSV file read record by record. The first record is the header (line 1); records
/// may have any number of fields (the caller says what a ragged row means).
pub struct CsvRecords<R: Read> {
    reader: csv::Reader<LineTracking<R>>,
    lines: LineCounter,
}

impl<R: Read> CsvRecords<R> {
    pub fn new(inner: R) -> Self {
        let (tracking, lines) = LineTracking::new(inner);
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(tracking);
        CsvRecords { reader, lines }
    }

    fn located(&self, error: csv::Error) -> CsvError {
        let line = error.position().map_or(0, |p| self.lines.line_at_content(p.byte()));
        CsvError { line, error }
    }

    /// Read the next record into `record`; its line, or `None` at the end of the file.
    pub fn next_record(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, CsvError> {
        match self.reader.read_byte_record(record) {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(record.position().map_or(0, |p| self.lines.line_at_content(p.byte())))),
            Err(e) => Err(self.located(e)),
        }
    }
}

impl CsvRecords<std::io::BufReader<std::fs::File>> {
    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        Ok(CsvRecords::new(std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut r = CsvRecords::new(text);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while let Some(line) = r.next_record(&mut record).unwrap() {
            out.push((line, record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()));
        }
        out
    }

    #[test]
    fn lines_as_an_editor_counts_them() {
        let want = |v: &[(u64, &str)]| -> Vec<(u64, Vec<String>)> {
            v.iter().map(|(l, f)| (*l, f.split(',').map(str::to_string).collect())).collect()
        };
        let expected = want(&[(1, "h,s"), (2, "a,1"), (3, "b,2"), (4, "c,x")]);
        assert_eq!(lines(b"h,s\na,1\nb,2\nc,x\n"), expected);
        // Windows line ends: the csv crate's own count says 3 for the last record.
        assert_eq!(lines(b"h,s\r\na,1\r\nb,2\r\nc,x\r\n"), expected);
        // Old Mac line ends: the csv crate's own count says 1 for every record.
        assert_eq!(lines(b"h,s\ra,1\rb,2\rc,x\r"), expected);
        // A blank line is skipped but counted; a quoted line end is counted.
        let got = lines(b"h,s\n\na,\"1\n1\"\nb,2\n");
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 3, 5]);
    }

    #[test]
    fn long_files_keep_their_count() {
        let mut text = String::from("h\r\n");
        for i in 0..100_000 {
            text.push_str(&format!("{i}\r\n"));
        }
        let got = lines(text.as_bytes());
        assert_eq!(got.len(), 100_001);
        assert_eq!(got[100_000].0, 100_001);
        assert_eq!(got[100_000].1, ["99999"]);
    }
}
