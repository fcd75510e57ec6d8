//! A small valid benchmark in a temporary folder, for the unit tests to break one rule
//! at a time.

use std::path::Path;

pub(crate) const TINY_MANIFEST: &str = r#"[benchmark]
name = "tiny"
version = "1"
licence = "CC0-1.0"

[tables]
subjects = "subjects.csv"
samples = "samples.csv"

[attributes.sex]
provenance = "self-declared"
[attributes.ethnicity]
provenance = "annotated"

[[protocols]]
name = "verification"
kind = "verification"
pairs = "protocols/pairs.csv"

[[protocols]]
name = "identification"
kind = "identification"
gallery = "protocols/gallery.csv"
mated = "protocols/mated.csv"
non_mated = "protocols/non-mated.csv"
candidates = 2
gallery_sizes = [1, 2]

[[protocols]]
name = "watchlist"
kind = "watchlist"
watchlist = "protocols/watchlist.csv"
passes = "protocols/passes.csv"
crowd = "protocols/crowd.csv"
candidates = 1
"#;

const FILES: &[(&str, &str)] = &[
    ("subjects.csv", "subject_id,sex,ethnicity\na,F,x\nb,F,y\nc,M,x\nd,M,y\n"),
    (
        "samples.csv",
        "sample_id,subject_id,template\na1,a,1 0 0.5\na2,a,0.9 0.1 0.5\nb1,b,0 1 0.5\nb2,b,0.1 0.9 0.5\nc1,c,0.5 0.5 1\nc2,c,0.4 0.5 1\nd1,d,-1 0 0\nd2,d,-0.9 0 0.1\n",
    ),
    ("protocols/pairs.csv", "probe_sample,reference_sample\na1,a2\na1,b1\nc1,c2\nc1,d2\n"),
    ("protocols/gallery.csv", "sample_id\na1\nb1\n"),
    ("protocols/mated.csv", "sample_id\na2\nb2\n"),
    ("protocols/non-mated.csv", "sample_id\nc1\nd1\n"),
    ("protocols/watchlist.csv", "sample_id\nc1\n"),
    ("protocols/passes.csv", "sample_id\nc2\n"),
    ("protocols/crowd.csv", "sample_id\na2\nb2\nd2\n"),
];

pub(crate) struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn tiny() -> Self {
        let f = Fixture { dir: tempfile::tempdir().expect("temporary folder") };
        std::fs::create_dir(f.dir().join("protocols")).expect("protocols folder");
        f.write(crate::manifest::MANIFEST, TINY_MANIFEST);
        for (name, text) in FILES {
            f.write(name, text);
        }
        f
    }
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
    pub(crate) fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir().join(name), text).expect("write fixture file");
    }
    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir().join(name)).expect("read fixture file")
    }
}
