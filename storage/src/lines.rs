//! Lines as an editor counts them: the first line is 1, and `\n`, `\r\n` and a lone `\r`
//! each end one line (the CSV reader takes all three as record ends, so a file with
//! old Mac line ends must be counted the same way). Columns count characters, from 1.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

/// The 1-based line and column of byte `offset` in `text` (clamped to the text; an
/// offset inside a multi-byte character counts that character).
pub fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let bytes = text.as_bytes();
    let mut line = 1u64;
    let mut start = 0;
    let mut i = 0;
    while let Some(k) = memchr::memchr2(b'\n', b'\r', &bytes[i..offset]) {
        let at = i + k;
        let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
        if next > offset {
            // The offset points at the `\n` of a `\r\n`: still the line that it ends.
            break;
        }
        line += 1;
        start = next;
        i = next;
    }
    let column = text[start..offset].chars().count() as u64 + 1;
    (line, column)
}

/// Byte offsets at which lines start, gathered while a reader streams bytes through, and
/// handed out in order: the count of line ends before any later offset is exact, and only
/// the line ends not yet asked about are held (a few buffers' worth).
#[derive(Debug, Default)]
struct Starts {
    /// Offsets where a line starts (just after a line end), not yet counted.
    pending: VecDeque<u64>,
    /// Line ends counted so far.
    counted: u64,
    /// Runs of line-end bytes `[start, end)` not yet passed (see [`LineCounter::line_at_content`]).
    runs: VecDeque<(u64, u64)>,
    /// The run the last chunk ended in, still open.
    open_run: Option<u64>,
}

/// A reader that notes where lines start as bytes pass through it.
pub struct LineTracking<R> {
    inner: R,
    offset: u64,
    /// The previous chunk ended with `\r`: a `\n` first in the next one belongs to it.
    pending_cr: bool,
    starts: Rc<RefCell<Starts>>,
}

/// The other end of a [`LineTracking`] reader: asks which line a byte offset is on.
#[derive(Debug, Clone)]
pub struct LineCounter {
    starts: Rc<RefCell<Starts>>,
}

impl<R: Read> LineTracking<R> {
    pub fn new(inner: R) -> (Self, LineCounter) {
        let starts = Rc::new(RefCell::new(Starts::default()));
        (LineTracking { inner, offset: 0, pending_cr: false, starts: starts.clone() }, LineCounter { starts })
    }
}

impl<R: Read> Read for LineTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let base = self.offset;
        let mut starts = self.starts.borrow_mut();
        let mut i = 0;
        if self.pending_cr && n > 0 {
            self.pending_cr = false;
            if chunk[0] == b'\n' {
                starts.pending.push_back(base + 1);
                i = 1;
            } else {
                starts.pending.push_back(base);
            }
        }
        while let Some(k) = memchr::memchr2(b'\n', b'\r', &chunk[i..]) {
            let at = i + k;
            if chunk[at] == b'\r' {
                match chunk.get(at + 1) {
                    Some(b'\n') => {
                        starts.pending.push_back(base + at as u64 + 2);
                        i = at + 2;
                    }
                    Some(_) => {
                        starts.pending.push_back(base + at as u64 + 1);
                        i = at + 1;
                    }
                    None => {
                        self.pending_cr = true;
                        i = at + 1;
                    }
                }
            } else {
                starts.pending.push_back(base + at as u64 + 1);
                i = at + 1;
            }
        }
        if n == 0 && self.pending_cr {
            self.pending_cr = false;
            starts.pending.push_back(base);
        }
        // Runs of line-end bytes, which may span chunks.
        let mut j = 0;
        while j < n {
            let is_end = |b: u8| b == b'\n' || b == b'\r';
            if is_end(chunk[j]) {
                let start = starts.open_run.take().unwrap_or(base + j as u64);
                while j < n && is_end(chunk[j]) {
                    j += 1;
                }
                if j == n {
                    starts.open_run = Some(start);
                } else {
                    starts.runs.push_back((start, base + j as u64));
                }
            } else {
                if let Some(start) = starts.open_run.take() {
                    starts.runs.push_back((start, base + j as u64));
                }
                j += memchr::memchr2(b'\n', b'\r', &chunk[j..]).unwrap_or(n - j);
            }
        }
        if n == 0
            && let Some(start) = starts.open_run.take()
        {
            starts.runs.push_back((start, base));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl LineCounter {
    /// The line of the first byte at or after `offset` that is not a line end: where a
    /// record read from `offset` begins (a CSV reader may report a record's position at
    /// the line end before it, e.g. the `\n` of a `\r\n`, or before blank lines).
    pub fn line_at_content(&self, offset: u64) -> u64 {
        let start = {
            let mut s = self.starts.borrow_mut();
            while s.runs.front().is_some_and(|&(_, end)| end <= offset) {
                s.runs.pop_front();
            }
            match s.runs.front() {
                Some(&(start, end)) if start <= offset => end,
                _ => offset,
            }
        };
        self.line_of(start)
    }

    /// The line of byte `offset`. Offsets must be asked in increasing order (records of a
    /// file are); every line end before `offset` must already have been read.
    pub fn line_of(&self, offset: u64) -> u64 {
        let mut s = self.starts.borrow_mut();
        while s.pending.front().is_some_and(|&start| start <= offset) {
            s.pending.pop_front();
            s.counted += 1;
        }
        s.counted + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_every_kind_of_line_end() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
        assert_eq!(line_col("a\r\nb\rc\nd", 7), (4, 1));
        assert_eq!(line_col("a\r\nb", 3), (2, 1));
        // Columns count characters, not bytes.
        assert_eq!(line_col("é=1", 3), (1, 3));
        // An offset inside a character counts that character.
        assert_eq!(line_col("é", 1), (1, 1));
    }

    /// Reads `text` through the tracker in chunks of `chunk` bytes, then asks the line of
    /// every offset in order.
    fn lines_via_tracker(text: &[u8], chunk: usize) -> Vec<u64> {
        let (mut reader, counter) = LineTracking::new(text);
        let mut buf = vec![0u8; chunk];
        while reader.read(&mut buf).unwrap() > 0 {}
        (0..=text.len() as u64).map(|o| counter.line_of(o)).collect()
    }

    #[test]
    fn tracker_agrees_with_line_col_whatever_the_chunking() {
        let text = "h,x\r\na,1\n\nb,\"2\r\n3\"\rc,4\r\r\nd\n";
        let expected: Vec<u64> = (0..=text.len()).map(|o| line_col(text, o).0).collect();
        for chunk in [1, 2, 3, 5, 64] {
            assert_eq!(lines_via_tracker(text.as_bytes(), chunk), expected, "chunk {chunk}");
        }
    }
}
