use super::*;
use crate::testing::{Fixture, TINY_MANIFEST};

#[test]
fn loads_the_tiny_fixture() {
    let f = Fixture::tiny();
    let b = load(f.dir()).unwrap();
    assert_eq!((b.name.as_str(), b.version.as_str()), ("tiny", "1"));
    assert_eq!(b.population.attributes, ["sex", "ethnicity"]);
    assert_eq!(b.population.provenance.get("sex").map(String::as_str), Some("self-declared"));
    assert_eq!(b.population.subjects.len(), 4);
    assert_eq!(b.samples.len(), 8);
    assert_eq!(b.samples.subject[3], 1);
    assert_eq!(b.samples.media[0], MediaSource::Embedding(vec![1.0, 0.0, 0.5]));
    assert_eq!(b.protocols.len(), 3);
    assert_eq!(b.content_hash.len(), 64);
}

#[test]
fn hash_changes_with_content_and_with_names() {
    let f = Fixture::tiny();
    let before = load(f.dir()).unwrap().content_hash;
    assert_eq!(load(f.dir()).unwrap().content_hash, before, "hash is deterministic");
    f.write("samples.csv", &f.read("samples.csv").replace("1 0 0.5", "1 0 0.25"));
    let edited = load(f.dir()).unwrap().content_hash;
    assert_ne!(edited, before);
    std::fs::rename(f.dir().join("samples.csv"), f.dir().join("samples2.csv")).unwrap();
    f.write(MANIFEST, &TINY_MANIFEST.replace("\"samples.csv\"", "\"samples2.csv\""));
    assert_ne!(load(f.dir()).unwrap().content_hash, edited);
}

fn problems_of(f: &Fixture) -> String {
    load(f.dir()).unwrap_err().to_string()
}

#[test]
fn missing_manifest_and_files() {
    let f = Fixture::tiny();
    std::fs::remove_file(f.dir().join("subjects.csv")).unwrap();
    let all = problems_of(&f);
    assert!(all.contains(r#"benchmark.toml:7: key tables.subjects: value "subjects.csv": file not found"#), "{all}");
    // Nothing that depends on the subjects is reported as a problem of its own.
    assert!(all.starts_with("1 problem\n"), "{all}");
    std::fs::remove_file(f.dir().join(MANIFEST)).unwrap();
    assert_eq!(problems_of(&f), "1 problem\nbenchmark.toml: file not found");
}

#[test]
fn non_utf8_manifest_names_the_line() {
    let f = Fixture::tiny();
    let mut bytes = TINY_MANIFEST.as_bytes().to_vec();
    bytes.splice(30..30, [0xff]);
    std::fs::write(f.dir().join(MANIFEST), bytes).unwrap();
    assert!(problems_of(&f).contains("benchmark.toml:3: text is not valid UTF-8"), "{}", problems_of(&f));
}

#[test]
fn subject_rules() {
    let f = Fixture::tiny();
    f.write("subjects.csv", "subject_id,sex,ethnicity,age\na,F,x,1\nb,F,,1\na,M,y,1\nc,M,y,1\nd,G,y,1\n");
    let all = problems_of(&f);
    for want in [
        "subjects.csv:1: column age: column is not a declared attribute",
        r#"subjects.csv:3: column ethnicity: value "": empty attribute value"#,
        r#"subjects.csv:4: column subject_id: value "a": duplicate subject_id (first at line 2)"#,
        r#"subjects.csv:2: column ethnicity: value "x": single-member group"#,
        r#"subjects.csv:6: column sex: value "G": single-member group"#,
    ] {
        assert!(all.contains(want), "{want} not in {all}");
    }
    f.write("subjects.csv", "subject_id,sex\na,F\nb,F\n");
    assert!(problems_of(&f).contains("subjects.csv:1: column ethnicity: missing column (declared attribute)"));
}

#[test]
fn sample_rules() {
    let f = Fixture::tiny();
    f.write(
        "samples.csv",
        "sample_id,subject_id,template\na1,a,1 0 0.5\na1,a,1 0 0.5\nx,s99,1 2 3\nn,a,NaN 1 2\nr,a,1 2\nq,b,1 z 2\ne,b,\n,b,1 2 3\n",
    );
    let all = problems_of(&f);
    for want in [
        r#"samples.csv:3: column sample_id: value "a1": duplicate sample_id (first at line 2)"#,
        r#"samples.csv:4: column subject_id: value "s99": unknown subject"#,
        r#"samples.csv:5: column template: value "NaN": template value is not finite"#,
        "samples.csv:6: column template: ragged templates: this one has 2 values, the first (line 2) has 3",
        r#"samples.csv:7: column template: value "z": template value is not a number"#,
        r#"samples.csv:8: column template: value "": empty template"#,
        r#"samples.csv:9: column sample_id: value "": empty sample_id"#,
    ] {
        assert!(all.contains(want), "{want} not in {all}");
    }
}

#[test]
fn media_column_rules() {
    let f = Fixture::tiny();
    std::fs::create_dir(f.dir().join("media")).unwrap();
    std::fs::write(f.dir().join("media/a.png"), b"png").unwrap();
    let rows =
        ["a1,a,media/a.png", "a2,a,inline:hello face", "b1,b,media/none.png", "b2,b,/etc/passwd", "c1,c,../x.png"];
    f.write(
        "samples.csv",
        &format!("sample_id,subject_id,media\n{}\nc2,c,inline:x\nd1,d,inline:y\nd2,d,inline:z\n", rows.join("\n")),
    );
    let all = problems_of(&f);
    assert!(all.contains(r#"samples.csv:4: column media: value "media/none.png": media file not found"#), "{all}");
    assert!(all.contains(r#"samples.csv:5: column media: value "/etc/passwd": media path must be relative"#), "{all}");
    assert!(all.contains(r#"samples.csv:6: column media: value "../x.png": media path must be relative"#), "{all}");
    f.write("samples.csv", "sample_id,subject_id,media\na1,a,media/a.png\na2,a,inline:hello face\nb1,b,inline:b\nc1,c,inline:c\nd1,d,inline:d\n");
    // The protocols name samples that no longer exist; check only the media here.
    let all = problems_of(&f);
    assert!(!all.contains("column media"), "{all}");
    f.write("samples.csv", "sample_id,subject_id,media,template\na1,a,x,1\n");
    assert!(problems_of(&f).contains("exactly one of the columns media and template"));
}

#[test]
fn media_resolves_to_absolute_files_and_inline_bytes() {
    let f = Fixture::tiny();
    std::fs::create_dir(f.dir().join("media")).unwrap();
    std::fs::write(f.dir().join("media/a.png"), b"png").unwrap();
    let text = f.read("samples.csv");
    let mut lines: Vec<String> =
        text.lines().map(|l| l.rsplit_once(',').map_or(l.to_string(), |(a, _)| a.to_string())).collect();
    lines[0].push_str(",media");
    lines[1].push_str(",media/a.png");
    for l in lines.iter_mut().skip(2) {
        l.push_str(",\"inline:x,y\"");
    }
    f.write("samples.csv", &(lines.join("\n") + "\n"));
    let b = load(f.dir()).unwrap();
    match &b.samples.media[0] {
        MediaSource::File(p) => assert_eq!(p.path(), f.dir().join("media/a.png").canonicalize().unwrap()),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.samples.media[1], MediaSource::Inline(b"x,y".to_vec()));
}

#[test]
fn vocabulary_maps_codes_to_names_and_refuses_unknown_codes() {
    let f = Fixture::tiny();
    let vocabulary = "\n[vocabulary.ethnicity]\nx = \"group x\"\ny = \"group y\"\n";
    f.write(MANIFEST, &TINY_MANIFEST.replacen("\n[[protocols]]", &format!("{vocabulary}\n[[protocols]]"), 1));
    let b = load(f.dir()).unwrap();
    let values: Vec<&str> = b.population.subjects.iter().map(|s| s.attributes[1].as_str()).collect();
    assert_eq!(values, ["group x", "group y", "group x", "group y"]);
    f.write("subjects.csv", "subject_id,sex,ethnicity\na,F,x\nb,F,z\nc,M,x\nd,M,y\n");
    assert!(
        problems_of(&f).contains(
            r#"subjects.csv:3: column ethnicity: value "z": code not in [vocabulary.ethnicity] of benchmark.toml; its codes are: x, y"#
        ),
        "{}",
        problems_of(&f)
    );
    f.write(MANIFEST, &format!("{TINY_MANIFEST}\n[vocabulary.age]\n1 = \"one\"\n"));
    assert!(problems_of(&f).contains("key vocabulary.age: vocabulary of an undeclared attribute"));
}

#[test]
fn capture_columns_are_kept_as_text() {
    let f = Fixture::tiny();
    let text = f.read("samples.csv");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[0].push_str(",camera,lmk_x1");
    for (i, l) in lines.iter_mut().enumerate().skip(1) {
        l.push_str(if i == 2 { ",,3.5" } else { ",cam1,1" });
    }
    f.write("samples.csv", &(lines.join("\n") + "\n"));
    let b = load(f.dir()).unwrap();
    let names: Vec<&str> = b.samples.capture.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["camera", "lmk_x1"]);
    assert_eq!(b.samples.capture("camera").unwrap().values[..3], ["cam1", "", "cam1"]);
    assert_eq!(b.samples.capture("lmk_x1").unwrap().values.len(), 8);
}

#[test]
fn no_identities_means_no_identity_protocols() {
    let f = Fixture::tiny();
    let manifest = TINY_MANIFEST
        .replace("licence = \"CC0-1.0\"", "licence = \"CC0-1.0\"\nidentities = false\nsource = \"UTKFace\"");
    f.write(MANIFEST, &manifest);
    let all = problems_of(&f);
    assert!(
        all.contains("benchmark.toml:17: key protocols[1]: benchmark tiny has no identities (imported from UTKFace): it supports failure-to-acquire and quality breakdowns only"),
        "{all}"
    );
    assert_eq!(all.matches("has no identities").count(), 3, "{all}");
    let without = manifest.split("\n[[protocols]]").next().unwrap().to_string();
    f.write(MANIFEST, &without);
    let b = load(f.dir()).unwrap();
    assert!(b.protocols.is_empty());
}

#[test]
fn frames_tracks_and_videos_are_checked_where_they_are() {
    let f = Fixture::tiny();
    let text = f.read("samples.csv");
    let with = |rows: [&str; 8]| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[0].push_str(",video,track,frame_time");
        for (l, extra) in lines.iter_mut().skip(1).zip(rows) {
            l.push(',');
            l.push_str(extra);
        }
        lines.join("\n") + "\n"
    };
    // a1, a2: one track of a; b1 a still; b2 a track of b; the rest stills.
    f.write("samples.csv", &with(["v1,ta,0", "v1,ta,0.04", ",,", "v1,tb,1", ",,", ",,", ",,", ",,"]));
    let b = load(f.dir()).unwrap();
    let tracks = harness::model::tracks::tracks(&b.samples, |i| i as u64 + 2).unwrap();
    assert_eq!(tracks.len(), 2);
    assert_eq!((tracks[0].id.as_str(), tracks[0].frames.clone()), ("ta", vec![0, 1]));
    // Out of order, another person in a track, no video, a bad time.
    f.write("samples.csv", &with(["v1,ta,1", "v1,ta,0.5", ",,", "v1,ta,2", ",,", "v1,tc,soon", ",,", ",tz,3"]));
    let all = problems_of(&f);
    assert!(all.starts_with("4 problems\n"), "{all}");
    for line in [
        "samples.csv:3: column frame_time: value \"0.5\": frames of track `ta` must be listed in increasing time: the frame at line 2 is at 1",
        "samples.csv:5: column track: value \"ta\": track `ta` is another person's at line 2; a track is one person",
        "samples.csv:7: column frame_time: value \"soon\": a frame time is seconds from the start of the video, a number >= 0",
        "samples.csv:9: column video: value \"\": frame of track `tz` has no video",
    ] {
        assert!(all.contains(line), "{line}\n{all}");
    }
    // Two tracks of one person overlapping in one video.
    f.write("samples.csv", &with(["v1,ta,0", "v1,tb,0", ",,", ",,", ",,", ",,", ",,", ",,"]));
    let all = problems_of(&f);
    assert!(
        all.contains("track `tb` overlaps in time track `ta` of the same person in the same video (0 to 0 s)"),
        "{all}"
    );
}
