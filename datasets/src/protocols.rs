//! Protocol tables: sample ids become indices, and the rules that keep 1:1 and 1:N
//! trials meaningful (no self-pairs, no enrolled subject among the non-mated searches)
//! are checked.

use crate::error::{Problem, Problems};
use crate::load::UNKNOWN_SUBJECT;
use crate::manifest::{Kind, MANIFEST, ProtocolSpec, Role, join as join_key};
use crate::table::{self, Table};
use harness::model::benchmark::{Protocol, Samples, SearchProtocol, VerificationProtocol};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Sample id to index, and each sample's subject.
pub(crate) struct SampleIndex<'s> {
    ids: HashMap<&'s str, u32>,
    samples: &'s Samples,
}

impl<'s> SampleIndex<'s> {
    pub(crate) fn new(samples: &'s Samples) -> Self {
        SampleIndex { ids: samples.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect(), samples }
    }
    fn subject(&self, sample: u32) -> u32 {
        self.samples.subject.get(sample as usize).copied().unwrap_or(UNKNOWN_SUBJECT)
    }
}

/// One protocol-table entry: the sample indices it names and its line.
struct Entry {
    samples: Vec<u32>,
    ids: Vec<String>,
    line: u64,
}

/// Read one protocol table; with no sample index (the samples table failed) only its
/// shape is checked.
fn read_entries(
    dir: &Path,
    file: &str,
    role: Role,
    index: Option<&SampleIndex>,
    problems: &mut Problems,
) -> Option<(Table, Vec<Entry>)> {
    let t = table::read(dir, file, problems)?;
    let names: &[&str] = if role == Role::Pairs { &["probe_sample", "reference_sample"] } else { &["sample_id"] };
    let cols = t.require(names, problems)?;
    let mut entries = Vec::with_capacity(t.rows.len());
    for row in &t.rows {
        let mut samples = Vec::with_capacity(cols.len());
        let mut ids = Vec::with_capacity(cols.len());
        for (&c, name) in cols.iter().zip(names) {
            let Some(id) = t.text(row, c, "empty sample id", problems) else { continue };
            match index.map(|i| i.ids.get(id)) {
                Some(Some(&s)) => samples.push(s),
                Some(None) => {
                    problems.push(Problem::new(file, "unknown sample").line(row.line).column(*name).value(id))
                }
                None => {}
            }
            ids.push(id.to_string());
        }
        if samples.len() == cols.len() {
            entries.push(Entry { samples, ids, line: row.line });
        }
    }
    if t.rows.is_empty() {
        problems.push(Problem::new(file, "empty protocol table"));
    }
    Some((t, entries))
}

/// Build one protocol, reporting every broken rule. `missing` holds files already
/// reported as not found.
pub(crate) fn build(
    dir: &Path,
    spec: &ProtocolSpec,
    missing: &HashSet<String>,
    index: Option<&SampleIndex>,
    problems: &mut Problems,
) -> Option<Protocol> {
    let mut tables = Vec::new();
    for (role, file) in &spec.files {
        if missing.contains(&file.path) {
            tables.push(None);
            continue;
        }
        tables.push(read_entries(dir, &file.path, *role, index, problems).map(|(t, e)| (t.file, e)));
    }
    let index = index?;
    let tables: Vec<(String, Vec<Entry>)> = tables.into_iter().collect::<Option<_>>()?;
    match spec.kind {
        Kind::Verification => {
            let (file, pairs) = tables.first()?;
            verification(spec, file, pairs, problems).map(Protocol::Verification)
        }
        Kind::Identification | Kind::Watchlist => {
            let [gallery, mated, non_mated] = <[_; 3]>::try_from(tables).ok()?;
            let p = search(spec, index, &gallery, &mated, &non_mated, problems)?;
            Some(if spec.kind == Kind::Watchlist { Protocol::Watchlist(p) } else { Protocol::Identification(p) })
        }
    }
}

fn verification(
    spec: &ProtocolSpec,
    file: &str,
    pairs: &[Entry],
    problems: &mut Problems,
) -> Option<VerificationProtocol> {
    let before = problems.len();
    let mut seen: HashMap<(u32, u32), u64> = HashMap::new();
    let mut protocol = VerificationProtocol { name: spec.name.clone(), probe: Vec::new(), reference: Vec::new() };
    for e in pairs {
        let (probe, reference) = (e.samples[0], e.samples[1]);
        if probe == reference {
            let msg = "pair compares a sample with itself";
            problems.push(Problem::new(file, msg).line(e.line).column("reference_sample").value(e.ids[1].as_str()));
            continue;
        }
        if let Some(first) = seen.get(&(probe, reference)) {
            let msg = format!("duplicate pair (first at line {first})");
            problems.push(Problem::new(file, msg).line(e.line).column("reference_sample").value(e.ids[1].as_str()));
            continue;
        }
        seen.insert((probe, reference), e.line);
        protocol.probe.push(probe);
        protocol.reference.push(reference);
    }
    (problems.len() == before).then_some(protocol)
}

/// The words problems use for the three tables of a search protocol.
struct Terms {
    gallery: &'static str,
    mated: &'static str,
    non_mated: &'static str,
}

fn search(
    spec: &ProtocolSpec,
    index: &SampleIndex,
    (gallery_file, gallery): &(String, Vec<Entry>),
    (mated_file, mated): &(String, Vec<Entry>),
    (non_mated_file, non_mated): &(String, Vec<Entry>),
    problems: &mut Problems,
) -> Option<SearchProtocol> {
    let terms = match spec.kind {
        Kind::Watchlist => Terms { gallery: "watchlist", mated: "pass", non_mated: "crowd face" },
        _ => Terms { gallery: "gallery", mated: "mated searcher", non_mated: "non-mated searcher" },
    };
    let before = problems.len();
    let gallery = unique(gallery_file, gallery, problems);
    let mated = unique(mated_file, mated, problems);
    let non_mated = unique(non_mated_file, non_mated, problems);
    // Distinct gallery subjects in file order: the nested galleries are prefixes of this.
    let mut gallery_subjects: Vec<u32> = Vec::new();
    let mut enrolled: HashSet<u32> = HashSet::new();
    let enrolment: HashSet<u32> = gallery.iter().map(|e| e.0).collect();
    for &(s, _, _) in &gallery {
        if index.subject(s) != UNKNOWN_SUBJECT && enrolled.insert(index.subject(s)) {
            gallery_subjects.push(index.subject(s));
        }
    }
    for &(s, line, id) in &mated {
        if enrolment.contains(&s) {
            let msg = format!("{} is itself a {} sample", terms.mated, terms.gallery);
            problems.push(Problem::new(mated_file, msg).line(line).column("sample_id").value(id));
        } else if index.subject(s) != UNKNOWN_SUBJECT && !enrolled.contains(&index.subject(s)) {
            let msg = format!("{}'s subject is not in the {}", terms.mated, terms.gallery);
            problems.push(Problem::new(mated_file, msg).line(line).column("sample_id").value(id));
        }
    }
    for &(s, line, id) in &non_mated {
        if enrolled.contains(&index.subject(s)) {
            let msg =
                format!("{} subject used as a {} (sample of an enrolled subject)", terms.gallery, terms.non_mated);
            problems.push(Problem::new(non_mated_file, msg).line(line).column("sample_id").value(id));
        }
    }
    let n = gallery_subjects.len();
    // Without every gallery subject known (already reported) the sizes cannot be checked.
    let resolved = gallery.iter().all(|e| index.subject(e.0) != UNKNOWN_SUBJECT);
    let gallery_sizes = match (&spec.gallery_sizes, spec.kind) {
        _ if !resolved => None,
        (Some((sizes, line)), Kind::Identification) => gallery_sizes(sizes, *line, n, &spec.key, problems),
        _ => Some(vec![n]),
    };
    let candidates = spec.candidates.map(|c| c.0);
    if problems.len() != before {
        return None;
    }
    Some(SearchProtocol {
        name: spec.name.clone(),
        gallery: gallery.iter().map(|e| e.0).collect(),
        mated: mated.iter().map(|e| e.0).collect(),
        non_mated: non_mated.iter().map(|e| e.0).collect(),
        candidates: candidates?,
        gallery_sizes: gallery_sizes?,
    })
}

/// The entries of a single-column table, reporting samples listed twice: a repeated
/// search would be counted twice in every rate.
fn unique<'e>(file: &str, entries: &'e [Entry], problems: &mut Problems) -> Vec<(u32, u64, &'e str)> {
    let mut first: HashMap<u32, u64> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let (s, id) = (e.samples[0], e.ids[0].as_str());
        if let Some(line) = first.get(&s) {
            let msg = format!("sample listed twice (first at line {line})");
            problems.push(Problem::new(file, msg).line(e.line).column("sample_id").value(id));
        } else {
            first.insert(s, e.line);
            out.push((s, e.line, id));
        }
    }
    out
}

/// Declared sizes must ascend and fit the gallery. The whole gallery is always
/// evaluated: when the last declared size is smaller, the full size is appended.
fn gallery_sizes(sizes: &[usize], line: u64, n: usize, key: &str, problems: &mut Problems) -> Option<Vec<usize>> {
    let shown = format!("{sizes:?}");
    let key = join_key(key, "gallery_sizes");
    let mut ok = true;
    if sizes.windows(2).any(|w| w[1] <= w[0]) {
        problems.push(
            Problem::new(MANIFEST, "gallery sizes must ascend").line(line).column(key.as_str()).value(shown.as_str()),
        );
        ok = false;
    }
    if let Some(&too_big) = sizes.iter().find(|&&s| s > n) {
        let msg = format!("gallery size {too_big} exceeds the {n} subjects in the gallery");
        problems.push(Problem::new(MANIFEST, msg).line(line).column(key.as_str()).value(shown.as_str()));
        ok = false;
    }
    let mut out = sizes.to_vec();
    if out.last().is_some_and(|&last| last < n) {
        out.push(n);
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use crate::load::load;
    use crate::testing::{Fixture, TINY_MANIFEST};
    use harness::model::benchmark::Protocol;

    fn problems_of(f: &Fixture) -> String {
        load(f.dir()).unwrap_err().to_string()
    }

    #[test]
    fn builds_all_three_kinds() {
        let b = load(Fixture::tiny().dir()).unwrap();
        let Protocol::Verification(v) = &b.protocols[0] else { panic!("verification first") };
        assert_eq!((v.probe.clone(), v.reference.clone()), (vec![0, 0, 4, 4], vec![1, 2, 5, 7]));
        let Protocol::Identification(i) = &b.protocols[1] else { panic!("identification second") };
        assert_eq!((i.gallery.clone(), i.mated.clone(), i.non_mated.clone()), (vec![0, 2], vec![1, 3], vec![4, 6]));
        assert_eq!((i.candidates, i.gallery_sizes.clone()), (2, vec![1, 2]));
        let Protocol::Watchlist(w) = &b.protocols[2] else { panic!("watchlist third") };
        assert_eq!((w.gallery.clone(), w.mated.clone(), w.non_mated.clone()), (vec![4], vec![5], vec![1, 3, 7]));
        assert_eq!((w.candidates, w.gallery_sizes.clone()), (1, vec![1]));
    }

    #[test]
    fn absent_gallery_sizes_mean_the_whole_gallery() {
        let f = Fixture::tiny();
        f.write("benchmark.toml", &TINY_MANIFEST.replace("gallery_sizes = [1, 2]\n", ""));
        let Protocol::Identification(i) = &load(f.dir()).unwrap().protocols[1] else { panic!() };
        assert_eq!(i.gallery_sizes, vec![2]);
        f.write("benchmark.toml", &TINY_MANIFEST.replace("[1, 2]", "[1]"));
        let Protocol::Identification(i) = &load(f.dir()).unwrap().protocols[1] else { panic!() };
        assert_eq!(i.gallery_sizes, vec![1, 2]);
    }

    #[test]
    fn gallery_sizes_must_ascend_and_fit() {
        let f = Fixture::tiny();
        f.write("benchmark.toml", &TINY_MANIFEST.replace("[1, 2]", "[2, 1, 5]"));
        let all = problems_of(&f);
        assert!(
            all.contains(
                r#"benchmark.toml:27: key protocols[2].gallery_sizes: value "[2, 1, 5]": gallery sizes must ascend"#
            ),
            "{all}"
        );
        assert!(all.contains("gallery size 5 exceeds the 2 subjects in the gallery"), "{all}");
    }

    #[test]
    fn unknown_samples_and_missing_columns() {
        let f = Fixture::tiny();
        f.write("protocols/pairs.csv", "probe_sample,reference_sample\na1,a9\nz1,b1\n");
        f.write("protocols/gallery.csv", "sample\na1\n");
        let all = problems_of(&f);
        assert!(all.contains(r#"protocols/pairs.csv:2: column reference_sample: value "a9": unknown sample"#), "{all}");
        assert!(all.contains(r#"protocols/pairs.csv:3: column probe_sample: value "z1": unknown sample"#), "{all}");
        assert!(all.contains("protocols/gallery.csv:1: column sample_id: missing column"), "{all}");
    }

    #[test]
    fn verification_rules() {
        let f = Fixture::tiny();
        f.write("protocols/pairs.csv", "probe_sample,reference_sample\na1,a1\na1,b1\na1,b1\n");
        let all = problems_of(&f);
        assert!(
            all.contains(
                r#"protocols/pairs.csv:2: column reference_sample: value "a1": pair compares a sample with itself"#
            ),
            "{all}"
        );
        assert!(
            all.contains(
                "protocols/pairs.csv:4: column reference_sample: value \"b1\": duplicate pair (first at line 3)"
            ),
            "{all}"
        );
    }

    #[test]
    fn identification_rules() {
        let f = Fixture::tiny();
        f.write("protocols/mated.csv", "sample_id\na2\na1\nc2\na2\n");
        f.write("protocols/non-mated.csv", "sample_id\nc1\nb2\n");
        let all = problems_of(&f);
        for want in [
            r#"protocols/mated.csv:3: column sample_id: value "a1": mated searcher is itself a gallery sample"#,
            r#"protocols/mated.csv:4: column sample_id: value "c2": mated searcher's subject is not in the gallery"#,
            r#"protocols/mated.csv:5: column sample_id: value "a2": sample listed twice (first at line 2)"#,
            r#"protocols/non-mated.csv:3: column sample_id: value "b2": gallery subject used as a non-mated searcher"#,
        ] {
            assert!(all.contains(want), "{want} not in {all}");
        }
    }

    #[test]
    fn watchlist_rules() {
        let f = Fixture::tiny();
        f.write("protocols/crowd.csv", "sample_id\nc2\n");
        f.write("protocols/passes.csv", "sample_id\nd2\n");
        f.write("protocols/watchlist.csv", "");
        let all = problems_of(&f);
        assert!(all.contains("protocols/watchlist.csv:1: empty table: no header row"), "{all}");
        f.write("protocols/watchlist.csv", "sample_id\nc1\n");
        let all = problems_of(&f);
        assert!(
            all.contains(
                r#"protocols/crowd.csv:2: column sample_id: value "c2": watchlist subject used as a crowd face"#
            ),
            "{all}"
        );
        assert!(
            all.contains(
                r#"protocols/passes.csv:2: column sample_id: value "d2": pass's subject is not in the watchlist"#
            ),
            "{all}"
        );
    }
}
