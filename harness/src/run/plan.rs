//! Which templates a protocol needs, and the hash of its trial list: the same hash for
//! every vendor proves every vendor got the same trials.

use crate::model::benchmark::{Benchmark, Protocol, SearchProtocol};
use crate::model::results::TrialList;
use crate::vendor::Role;
use sha2::{Digest, Sha256};

/// Distinct gallery subjects in gallery order: the nested gallery of size N is the
/// first N of them.
pub fn gallery_subjects(bench: &Benchmark, p: &SearchProtocol) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    p.gallery.iter().map(|&s| bench.samples.subject[s as usize]).filter(|s| seen.insert(*s)).collect()
}

/// Canonical, vendor-independent description of a protocol's trials, hashed with SHA-256.
pub fn trial_list(bench: &Benchmark, protocol: &Protocol) -> TrialList {
    let ids = &bench.samples.ids;
    let subject = &bench.samples.subject;
    let mut h = Sha256::new();
    h.update(format!("verity-trials/1\n{}\n{}\n", protocol.kind().name(), protocol.name()));
    let list = match protocol {
        Protocol::Verification(p) => {
            let mut mated = 0;
            // The bytes of `probe TAB reference NEWLINE`, fed without a string per trial.
            for (&a, &b) in p.probe.iter().zip(&p.reference) {
                h.update(ids[a as usize].as_bytes());
                h.update(b"\t");
                h.update(ids[b as usize].as_bytes());
                h.update(b"\n");
                mated += u64::from(subject[a as usize] == subject[b as usize]);
            }
            (mated, p.probe.len() as u64 - mated, None)
        }
        Protocol::Identification(p) | Protocol::Watchlist(p) => {
            for (name, list) in [("gallery", &p.gallery), ("mated", &p.mated), ("non-mated", &p.non_mated)] {
                h.update(format!("{name} {}\n", list.len()));
                for &s in list.iter() {
                    h.update(ids[s as usize].as_bytes());
                    h.update(b"\n");
                }
            }
            h.update(format!("candidates {}\nsizes {:?}\n", p.candidates, p.gallery_sizes));
            (p.mated.len() as u64, p.non_mated.len() as u64, Some(gallery_subjects(bench, p).len() as u64))
        }
    };
    TrialList {
        protocol: protocol.name().to_string(),
        kind: protocol.kind(),
        hash: hex::encode(h.finalize()),
        mated: list.0,
        non_mated: list.1,
        gallery_subjects: list.2,
    }
}

/// Every (sample, role) template the protocols need, sorted and distinct.
/// Verification references and galleries are enrolled; probes verify; searches search.
/// The templates a run of `bench` makes: those its protocols need; with no protocol
/// (an attribute-only benchmark such as an import of UTKFace or FairFace), every sample
/// once as a probe, so failure to acquire is measured per group.
pub fn templates_of(bench: &crate::model::benchmark::Benchmark) -> Vec<(u32, Role)> {
    if bench.protocols.is_empty() {
        (0..bench.samples.len() as u32).map(|s| (s, Role::Verify)).collect()
    } else {
        templates_needed(&bench.protocols)
    }
}

pub fn templates_needed(protocols: &[Protocol]) -> Vec<(u32, Role)> {
    let mut out = Vec::new();
    for p in protocols {
        match p {
            Protocol::Verification(v) => {
                out.extend(v.probe.iter().map(|&s| (s, Role::Verify)));
                out.extend(v.reference.iter().map(|&s| (s, Role::Enrol)));
            }
            Protocol::Identification(s) | Protocol::Watchlist(s) => {
                out.extend(s.gallery.iter().map(|&x| (x, Role::Enrol)));
                out.extend(s.mated.iter().chain(&s.non_mated).map(|&x| (x, Role::Search)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
