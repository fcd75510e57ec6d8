//! The failure-share rule of adapters that call untrusted vendor software (`process`,
//! `frte`, `http`): past `max_failure_share` faults in at least `min_calls` calls the
//! vendor is declared broken ([`harness::vendor::Vendor::fatal`]) and every later call
//! fails at once.

use std::sync::{Mutex, OnceLock};

/// Calls and faults so far, and the verdict once given.
pub(crate) struct FaultShare {
    min_calls: u64,
    max_share: f64,
    /// (calls, faults)
    counts: Mutex<(u64, u64)>,
    fatal: OnceLock<String>,
}

impl FaultShare {
    pub fn new(min_calls: u64, max_share: f64) -> Self {
        FaultShare { min_calls, max_share, counts: Mutex::new((0, 0)), fatal: OnceLock::new() }
    }

    /// Why the vendor was declared broken, if it was.
    pub fn fatal(&self) -> Option<&String> {
        self.fatal.get()
    }

    /// Declare the vendor broken (the first reason given is kept).
    pub fn declare(&self, message: String) {
        let _ = self.fatal.set(message);
    }

    /// Count `calls` calls of which `faults` were faults; past the share, declare the
    /// vendor broken with `message(faults, calls)`.
    pub fn record(&self, calls: u64, faults: u64, message: impl FnOnce(u64, u64) -> String) {
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.0 += calls;
        counts.1 += faults;
        let (calls, faults) = *counts;
        if calls >= self.min_calls && faults as f64 > self.max_share * calls as f64 {
            self.declare(message(faults, calls));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_is_judged_only_after_min_calls() {
        let share = FaultShare::new(10, 0.2);
        share.record(5, 5, |f, c| format!("{f}/{c}"));
        assert_eq!(share.fatal(), None);
        share.record(4, 0, |f, c| format!("{f}/{c}"));
        assert_eq!(share.fatal(), None);
        // 10 calls, 5 faults: 50% > 20%.
        share.record(1, 0, |f, c| format!("{f}/{c}"));
        assert_eq!(share.fatal().map(String::as_str), Some("5/10"));
        let fine = FaultShare::new(10, 0.2);
        fine.record(10, 2, |f, c| format!("{f}/{c}"));
        assert_eq!(fine.fatal(), None, "2 of 10 is not more than 20%");
    }
}
