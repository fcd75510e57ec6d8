//! Unit tests of the importers: the committed fixtures (tests/fixtures/import) read into
//! the counts written next to them in make_fixtures.py, and small broken inputs written
//! in temporary folders.

use super::*;
use crate::load::load;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/import").join(path)
}

fn problems(layout: Layout, src: &Path, options: &ImportOptions) -> String {
    match read(layout, src, options) {
        Err(ImportError::Input(p)) => p.to_string(),
        Err(e) => panic!("not an input error: {e}"),
        Ok(_) => panic!("read without problems"),
    }
}

fn group<'s>(s: &'s Summary, attribute: &str, group: &str) -> &'s GroupCount {
    s.groups
        .iter()
        .find(|g| g.attribute == attribute && g.group == group)
        .unwrap_or_else(|| panic!("no group {attribute} {group} in {:?}", s.groups))
}

#[test]
fn lfw_fixture_counts() {
    let options = ImportOptions {
        subjects: Some(fixture("lfw/attributes.csv")),
        provenance: vec!["sex=annotated".into()],
        ..ImportOptions::default()
    };
    let d = read(Layout::Lfw, &fixture("lfw/pairs.txt"), &options).unwrap();
    let s = d.summary();
    assert_eq!((s.subjects, s.samples, s.mated_pairs, s.non_mated_pairs), (6, 11, 4, 4));
    let female = group(&s, "sex", "female");
    assert_eq!((female.subjects, female.samples, female.mated_pairs, female.non_mated_pairs), (3, 6, 2, 1));
    let male = group(&s, "sex", "male");
    assert_eq!((male.subjects, male.samples, male.mated_pairs, male.non_mated_pairs), (3, 5, 2, 1));
}

#[test]
fn written_benchmark_keeps_codes_and_loads_names() {
    let d = read(Layout::Bfw, &fixture("bfw/bfw-datatable.csv"), &ImportOptions::default()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("bfw");
    let naming =
        Naming { name: "bfw".into(), version: "1".into(), licence: "test".into(), description: "fixture".into() };
    let summary = d.write(&dir, &naming).unwrap();
    assert_eq!(summary.files, ["scores/subjects.csv", "scores/sphereface.csv", "scores/vgg2.csv"]);
    let subjects = std::fs::read_to_string(dir.join("subjects.csv")).unwrap();
    assert!(subjects.starts_with("subject_id,ethnicity,sex\nn000001,A,F\n"), "{subjects}");
    let b = load(&dir).unwrap();
    assert_eq!(b.population.subjects[0].attributes, ["Asian", "female"]);
    assert_eq!(b.population.provenance.get("sex").map(String::as_str), Some("annotated"));
    let scores = std::fs::read_to_string(dir.join("scores/vgg2.csv")).unwrap();
    assert!(scores.starts_with("probe_subject,reference_subject,score\nn000001,n000001,0.6925\n"), "{scores}");
    let score_subjects = std::fs::read_to_string(dir.join("scores/subjects.csv")).unwrap();
    assert!(score_subjects.contains("\nn000005,Black,female\n"), "{score_subjects}");
}

#[test]
fn utkface_and_fairface_have_no_identities() {
    let d = read(Layout::Utkface, &fixture("utkface"), &ImportOptions::default()).unwrap();
    assert!(!d.identities);
    assert_eq!((d.subjects(), d.samples()), (8, 8));
    assert_eq!(group(&d.summary(), "age_band", "60-69").subjects, 2);
    let d = read(Layout::Fairface, &fixture("fairface/fairface_label_val.csv"), &ImportOptions::default()).unwrap();
    assert!(!d.identities);
    assert_eq!(group(&d.summary(), "age_band", "70+").subjects, 2);
    assert_eq!(d.capture, ["service_test"]);
}

#[test]
fn age_bands_follow_fairface() {
    let bands: Vec<&str> = [0, 2, 3, 9, 10, 19, 29, 69, 70, 101].iter().map(|&a| utkface::age_band(a)).collect();
    assert_eq!(bands, ["0-2", "0-2", "3-9", "3-9", "10-19", "10-19", "20-29", "60-69", "70+", "70+"]);
}

#[test]
fn lfw_header_and_fold_structure() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.txt");
    std::fs::create_dir_all(dir.path().join("lfw")).unwrap();
    std::fs::write(&pairs, "ten 300\n").unwrap();
    assert!(
        problems(Layout::Lfw, &pairs, &ImportOptions::default())
            .contains("pairs.txt:1: value \"ten 300\": expected the header")
    );
    // One fold of one pair per class, given in the wrong order and one line too many.
    std::fs::write(&pairs, "1 1\nA 1 B 1\nA 1 2\nA 2 3\n").unwrap();
    let all = problems(Layout::Lfw, &pairs, &ImportOptions::default());
    assert!(
        all.contains("pairs.txt:2: value \"A 1 B 1\": expected a matched pair `name n1 n2` here (fold 1, pair 1 of 2"),
        "{all}"
    );
    assert!(all.contains("pairs.txt:3: value \"A 1 2\": expected a mismatched pair"), "{all}");
    assert!(all.contains("pairs.txt:1: value \"1 1\": the header says 1 folds of 1 matched and 1 mismatched pairs (2 pair lines), found 3"), "{all}");
    assert!(all.contains("pairs.txt:2: column n1: value \"A/A_0001.jpg\": image file not found"), "{all}");
}

#[test]
fn duplicate_pairs_and_single_member_groups() {
    let dir = tempfile::tempdir().unwrap();
    let lfw = dir.path().join("lfw");
    for (name, n) in [("A", 2), ("B", 1), ("C", 1)] {
        std::fs::create_dir_all(lfw.join(name)).unwrap();
        for i in 1..=n {
            std::fs::write(lfw.join(format!("{name}/{name}_{i:04}.jpg")), "x").unwrap();
        }
    }
    let pairs = dir.path().join("pairs.txt");
    std::fs::write(&pairs, "2 1\nA 1 2\nA 1 B 1\nA 1 2\nB 1 C 1\n").unwrap();
    assert!(
        problems(Layout::Lfw, &pairs, &ImportOptions::default())
            .contains("pairs.txt:4: value \"A/A_0001.jpg A/A_0002.jpg\": duplicate pair (first at line 2)")
    );
    std::fs::write(&pairs, "1 1\nA 1 2\nB 1 C 1\n").unwrap();
    let subjects = dir.path().join("subjects.csv");
    std::fs::write(&subjects, "name,sex\nA,F\nB,F\nC,M\n").unwrap();
    let options = ImportOptions {
        subjects: Some(subjects),
        provenance: vec!["sex=self-declared".into()],
        ..ImportOptions::default()
    };
    let all = problems(Layout::Lfw, &pairs, &options);
    assert!(all.contains("subjects.csv:4: column sex: value \"M\": single-member group `M`"), "{all}");
}

#[test]
fn provenance_and_vocabulary_options() {
    let dir = tempfile::tempdir().unwrap();
    let vocabulary = dir.path().join("v.toml");
    std::fs::write(&vocabulary, "[vocabulary.sex]\nF = \"female\"\n[vocabulary.age]\n1 = \"one\"\n").unwrap();
    let options = ImportOptions {
        subjects: Some(fixture("folder/subjects.csv")),
        provenance: vec!["sex=guessed".into(), "height=annotated".into(), "ethnicity".into()],
        vocabulary: Some(vocabulary.clone()),
        ..ImportOptions::default()
    };
    let all = problems(Layout::Folder, &fixture("folder/faces"), &options);
    for want in [
        "--provenance: value \"guessed\": unknown provenance for `sex`",
        "--provenance: value \"ethnicity\": expected ATTRIBUTE=PROVENANCE",
        "--provenance: value \"height\": names no attribute column",
        "subjects.csv:1: column ethnicity: no provenance declared for attribute `ethnicity`",
        "v.toml: vocabulary of `age`, which is no attribute column",
    ] {
        assert!(all.contains(want), "{want} not in {all}");
    }
    std::fs::write(&vocabulary, "[vocabulary.sex]\nF = \n").unwrap();
    let options = ImportOptions { provenance: vec!["sex=annotated".into()], ..options };
    assert!(problems(Layout::Folder, &fixture("folder/faces"), &options).contains("v.toml:2: invalid TOML"));
}

#[test]
fn options_that_do_not_apply_are_refused() {
    let options = ImportOptions { group: Some("eval".into()), pairs: PairRule::All, ..ImportOptions::default() };
    let all = problems(Layout::Rfw, &fixture("rfw"), &options);
    assert!(all.contains("--pairs: does not apply to the rfw layout"), "{all}");
    assert!(all.contains("--group: does not apply to the rfw layout"), "{all}");
}

#[test]
fn bob_attributes_must_be_constant_per_subject() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    for f in ["a1", "a2", "b1"] {
        std::fs::write(dir.path().join(f), "x").unwrap();
    }
    std::fs::write(dev.join("for_enrolling.csv"), "PATH,REFERENCE_ID,SUBJECT_ID,gender\na1,ra,a,F\nb1,rb,b,M\n")
        .unwrap();
    std::fs::write(dev.join("for_probing.csv"), "PATH,REFERENCE_ID,SUBJECT_ID,gender\na2,pa,a,M\n").unwrap();
    std::fs::write(dev.join("for_matching.csv"), "reference_id,probe_reference_id\nra,pa\nrc,pa\n").unwrap();
    let options = ImportOptions { provenance: vec!["gender=self-declared".into()], ..ImportOptions::default() };
    let all = problems(Layout::Bob, dir.path(), &options);
    assert!(
        all.contains("for_probing.csv:2: column subject_id: value \"a\": subject `a` has other attribute values"),
        "{all}"
    );
    assert!(all.contains("for_matching.csv:3: column reference_id: value \"rc\": unknown template"), "{all}");
}

#[test]
fn rfw_subjects_keep_one_race() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    for race in ["African", "Asian"] {
        let txts = src.join("txts").join(race);
        std::fs::create_dir_all(&txts).unwrap();
        std::fs::create_dir_all(src.join(format!("data/{race}/m.x"))).unwrap();
        std::fs::write(src.join(format!("data/{race}/m.x/m.x_0001.jpg")), "x").unwrap();
        std::fs::write(src.join(format!("data/{race}/m.x/m.x_0002.jpg")), "x").unwrap();
        std::fs::write(txts.join(format!("{race}_pairs.txt")), "m.x 1 2\n").unwrap();
        std::fs::write(txts.join(format!("{race}_images.txt")), "m.x_0001.jpg m.x\nm.x_0002.jpg m.y\n").unwrap();
        std::fs::write(txts.join(format!("{race}_lmk.txt")), "").unwrap();
    }
    std::fs::create_dir_all(src.join("txts/Martian")).unwrap();
    let all = problems(Layout::Rfw, src, &ImportOptions::default());
    assert!(
        all.contains("Asian_pairs.txt:1: column n1: value \"m.x\": person appears in the African and Asian subsets"),
        "{all}"
    );
    assert!(all.contains("African_pairs.txt:1: column n2: value \"m.x/m.x_0002.jpg\": African_images.txt (line 2) gives this image the identity `m.y`"), "{all}");
    assert!(all.contains("txts/Martian: value \"Martian\": unknown RFW subset"), "{all}");
}

#[test]
fn folder_videos_become_frames_of_tracks() {
    let src = tempfile::tempdir().unwrap();
    let put = |path: &str| {
        let p = src.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, path.as_bytes()).unwrap();
    };
    // p1: a still and a track whose frames are numbered 1, 2, 10 (listed 1, 10, 2 by
    // name); p2: one frame. 25 frames a second.
    for path in [
        "p1/still.png",
        "p1/cam1/a/frame1.png",
        "p1/cam1/a/frame10.png",
        "p1/cam1/a/frame2.png",
        "p2/cam1/b/000007.jpg",
    ] {
        put(path);
    }
    let options = ImportOptions { fps: Some(25.0), ..ImportOptions::default() };
    let d = read(Layout::Folder, src.path(), &options).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("frames");
    let naming = Naming { name: "frames".into(), version: "1".into(), licence: "test".into(), description: "".into() };
    d.write(&dir, &naming).unwrap();
    let b = load(&dir).unwrap();
    let tracks = harness::model::tracks::tracks(&b.samples, |i| i as u64 + 2).unwrap();
    assert_eq!(tracks.len(), 2);
    assert_eq!((tracks[0].id.as_str(), tracks[0].video.as_str()), ("cam1/p1/a", "cam1"));
    assert_eq!(tracks[0].times, vec![0.04, 0.08, 0.4]);
    let ids: Vec<&str> = tracks[0].frames.iter().map(|&i| b.samples.ids[i as usize].as_str()).collect();
    assert_eq!(ids, ["p1/cam1/a/frame1.png", "p1/cam1/a/frame2.png", "p1/cam1/a/frame10.png"]);
    assert_eq!((tracks[1].id.as_str(), tracks[1].times.clone()), ("cam1/p2/b", vec![0.28]));

    // Without --fps, and with a frame that has no number, an empty track and a stray
    // file in a video folder: each named.
    let all = problems(Layout::Folder, src.path(), &ImportOptions::default());
    assert!(all.contains("give its frame rate with --fps"), "{all}");
    put("p2/cam1/b/cover.jpg");
    put("p2/cam1/notes.txt");
    std::fs::create_dir_all(src.path().join("p2/cam1/c")).unwrap();
    let all = problems(Layout::Folder, src.path(), &options);
    for want in [
        "cover.jpg: value \"cover.jpg\": a frame's file name ends in its frame number",
        "notes.txt: a file in a video folder",
        "track folder holds no frames",
    ] {
        assert!(all.contains(want), "{want}\n{all}");
    }
    // --fps is for the folder layout only.
    let all = problems(Layout::Rfw, &fixture("rfw"), &options);
    assert!(all.contains("--fps: does not apply to the rfw layout"), "{all}");
}
