//! A vendor's standard error, kept within a bound: a noisy vendor (one that prints a
//! debug line per call, or a stack trace per crash) must not fill the disk. The log
//! keeps the first [`HEAD`] bytes as they come and the last [`TAIL`] bytes, with a line
//! between them saying how many bytes were left out. Every process of a vendor (restarts
//! included) writes into the one log.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bytes kept from the start of the log.
pub const HEAD: u64 = 1 << 20;
/// Bytes kept from the end of the log.
pub const TAIL: usize = 1 << 20;

struct Inner {
    path: PathBuf,
    file: Option<File>,
    head_limit: u64,
    tail_limit: usize,
    /// Bytes written at the start of the file.
    head: u64,
    /// The latest bytes past the head, at most `tail_limit`.
    tail: VecDeque<u8>,
    /// Bytes past the head that the tail no longer holds.
    dropped: u64,
    /// Whether the file's tail section is behind `tail`.
    stale: bool,
}

/// A bounded log file shared by the threads that copy each process's standard error.
#[derive(Clone)]
pub struct BoundedLog {
    inner: Arc<Mutex<Inner>>,
    /// The copying threads, joined by [`BoundedLog::finish`].
    threads: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl BoundedLog {
    /// A log at `path`, emptied now (it holds this run's standard error only).
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Self::with_limits(path, HEAD, TAIL)
    }

    pub(crate) fn with_limits(path: &Path, head_limit: u64, tail_limit: usize) -> std::io::Result<Self> {
        let file = File::create(path)?;
        Ok(BoundedLog {
            inner: Arc::new(Mutex::new(Inner {
                path: path.to_path_buf(),
                file: Some(file),
                head_limit,
                tail_limit,
                head: 0,
                tail: VecDeque::new(),
                dropped: 0,
                stale: false,
            })),
            threads: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Add bytes: to the head while it has room, then to the tail.
    pub fn append(&self, mut bytes: &[u8]) {
        let mut g = self.lock();
        let inner = &mut *g;
        if inner.head < inner.head_limit {
            let take = ((inner.head_limit - inner.head) as usize).min(bytes.len());
            if let Some(f) = inner.file.as_mut() {
                // The head is written in place as it comes; the tail section after it is
                // rewritten by `flush`.
                let ok = f.seek(SeekFrom::Start(inner.head)).and_then(|_| f.write_all(&bytes[..take])).is_ok();
                if !ok {
                    inner.file = None;
                }
            }
            inner.head += take as u64;
            bytes = &bytes[take..];
        }
        if bytes.is_empty() {
            return;
        }
        inner.stale = true;
        if bytes.len() >= inner.tail_limit {
            inner.dropped += (inner.tail.len() + bytes.len() - inner.tail_limit) as u64;
            inner.tail.clear();
            inner.tail.extend(&bytes[bytes.len() - inner.tail_limit..]);
            return;
        }
        let over = (inner.tail.len() + bytes.len()).saturating_sub(inner.tail_limit);
        inner.tail.drain(..over);
        inner.dropped += over as u64;
        inner.tail.extend(bytes);
    }

    /// Write the tail section (and the note of what was left out) after the head.
    pub fn flush(&self) {
        self.lock().flush();
    }

    /// Copy `stream` into the log on a thread of its own until it ends.
    pub fn follow(&self, mut stream: impl Read + Send + 'static) {
        let log = self.clone();
        let handle = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => log.append(&buf[..n]),
                }
            }
            log.flush();
        });
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        threads.retain(|t| !t.is_finished());
        threads.push(handle);
    }

    /// Wait for every copying thread (their processes have ended, so their streams have
    /// too), then write the tail section: the file is complete.
    pub fn finish(&self) {
        let handles: Vec<_> = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.join();
        }
        self.flush();
    }
}

impl Inner {
    fn flush(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let Some(f) = self.file.as_mut() else { return };
        let mut section = Vec::with_capacity(self.tail.len() + 200);
        if self.dropped > 0 {
            section.extend_from_slice(
                format!(
                    "\n[verity: {} bytes of the vendor's standard error left out here; the first {} and the last {} bytes are kept]\n",
                    self.dropped,
                    self.head,
                    self.tail.len()
                )
                .as_bytes(),
            );
        }
        section.extend(self.tail.iter());
        let ok = f
            .set_len(self.head)
            .and_then(|_| f.seek(SeekFrom::Start(self.head)))
            .and_then(|_| f.write_all(&section))
            .and_then(|_| f.flush())
            .is_ok();
        if !ok {
            self.file = None;
        }
    }
}

impl Drop for Inner {
    /// The last clone is gone: the file says what was kept.
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_head_and_the_tail_and_says_what_was_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("err.log");
        let log = BoundedLog::with_limits(&path, 10, 8).unwrap();
        log.append(b"0123456789ABCDEF");
        log.append(b"GHIJKLMNOP");
        log.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        // 26 bytes: 10 in the head, the last 8 in the tail, 8 left out.
        assert_eq!(
            text,
            "0123456789\n[verity: 8 bytes of the vendor's standard error left out here; the first 10 and the last 8 bytes are kept]\nIJKLMNOP"
        );
        // More comes after a flush: the tail section is rewritten, the file stays bounded.
        log.append(&vec![b'x'; 1000]);
        log.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("0123456789\n[verity: 1008 bytes"), "{text}");
        assert!(text.ends_with("xxxxxxxx") && text.len() < 10 + 8 + 200, "{}", text.len());
    }

    #[test]
    fn a_quiet_vendor_log_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("err.log");
        let log = BoundedLog::with_limits(&path, 10, 8).unwrap();
        log.append(b"abc");
        log.append(b"defgh");
        log.flush();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abcdefgh");
        log.append(b"ijklm");
        drop(log);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abcdefghijklm");
    }
}
