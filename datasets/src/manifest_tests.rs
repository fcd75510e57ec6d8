use super::*;

const GOOD: &str = r#"
[benchmark]
name = "tiny"
version = "1"
licence = "CC0-1.0"

[tables]
subjects = "subjects.csv"
samples = "samples.csv"

[attributes.sex]
provenance = "self-declared"

[[protocols]]
name = "v"
kind = "verification"
pairs = "protocols/pairs.csv"

[[protocols]]
name = "i"
kind = "identification"
gallery = "g.csv"
mated = "m.csv"
non_mated = "n.csv"
candidates = 5
gallery_sizes = [2, 4]
"#;

fn parse_text(text: &str) -> (Manifest, Problems) {
    let mut problems = Problems::default();
    let m = parse(text, &mut problems);
    (m, problems)
}

#[test]
fn reads_a_good_manifest() {
    let (m, problems) = parse_text(GOOD);
    assert!(problems.is_empty(), "{problems}");
    assert_eq!(m.name, "tiny");
    assert_eq!(m.attributes, vec![Attribute { name: "sex".into(), provenance: "self-declared".into(), detail: None }]);
    assert_eq!(m.protocols.len(), 2);
    assert_eq!(m.protocols[1].candidates, Some((5, 25)));
    assert_eq!(m.protocols[1].gallery_sizes.as_ref().map(|g| g.0.clone()), Some(vec![2, 4]));
    let files: Vec<&str> = m.files().iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["subjects.csv", "samples.csv", "protocols/pairs.csv", "g.csv", "m.csv", "n.csv"]);
}

#[test]
fn syntax_error_has_line_and_column() {
    let (_, problems) = parse_text("[benchmark]\nname = \"x\nversion = 1\n");
    assert!(!problems.is_empty());
    let p = &problems.0[0];
    assert_eq!(p.line, Some(2));
    assert!(p.message.contains("invalid TOML at column"), "{p}");
}

#[test]
fn every_missing_key_is_reported() {
    let (_, problems) = parse_text(
        "[benchmark]\nname = \"x\"\n[tables]\n[attributes]\n[[protocols]]\nname = \"p\"\nkind = \"watchlist\"\n",
    );
    let text = problems.to_string();
    for key in [
        "benchmark.version",
        "benchmark.licence",
        "tables.subjects",
        "tables.samples",
        "protocols[1].watchlist",
        "protocols[1].crowd",
        "protocols[1].candidates",
    ] {
        assert!(text.contains(&format!("key {key}: missing key")), "{key} not in {text}");
    }
}

#[test]
fn unknown_kind_keys_and_provenance() {
    let text = GOOD
        .replace("kind = \"verification\"", "kind = \"linking\"")
        .replace("self-declared", "guessed")
        .replace("non_mated =", "non-mated =");
    let (_, problems) = parse_text(&text);
    let all = problems.to_string();
    assert!(
        all.contains(r#"benchmark.toml:16: key protocols[1].kind: value "linking": unknown protocol kind"#),
        "{all}"
    );
    assert!(all.contains(r#"key attributes.sex.provenance: value "guessed": unknown provenance"#), "{all}");
    assert!(all.contains("key protocols[2].non-mated: unknown key"), "{all}");
    assert!(all.contains("key protocols[2].non_mated: missing key"), "{all}");
}

#[test]
fn bad_counts_and_paths() {
    let text = GOOD
        .replace("candidates = 5", "candidates = 0")
        .replace("[2, 4]", "[2, \"x\"]")
        .replace("\"g.csv\"", "\"../g.csv\"");
    let (m, problems) = parse_text(&text);
    let all = problems.to_string();
    assert!(all.contains(r#"key protocols[2].candidates: value "0": expected a whole number >= 1"#), "{all}");
    assert!(all.contains("key protocols[2].gallery_sizes"), "{all}");
    assert!(all.contains(r#"value "../g.csv": must be a relative path"#), "{all}");
    assert_eq!(m.protocols.len(), 1);
}

#[test]
fn duplicate_protocol_names() {
    let text = GOOD.replace("name = \"i\"", "name = \"v\"");
    let (_, problems) = parse_text(&text);
    assert!(problems.to_string().contains("duplicate protocol name"), "{problems}");
}

#[test]
fn identities_source_labels_and_vocabulary() {
    let text = GOOD.replace("licence = \"CC0-1.0\"", "licence = \"CC0-1.0\"\nidentities = false\nsource = \"UTKFace\"")
        + "\n[vocabulary.sex]\nF = \"female\"\n1 = \"one\"\n";
    let (m, problems) = parse_text(&text);
    assert!(m.no_identities);
    assert_eq!(m.source.as_deref(), Some("UTKFace"));
    let codes: Vec<(&str, &str)> = m.vocabulary["sex"].codes.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    assert_eq!(codes, [("1", "one"), ("F", "female")]);
    assert!(m.protocols.is_empty(), "identity protocols are refused");
    let all = problems.to_string();
    assert!(all.contains("key protocols[2]: benchmark tiny has no identities (imported from UTKFace)"), "{all}");

    let text = GOOD.replace("licence = \"CC0-1.0\"", "licence = \"CC0-1.0\"\nidentities = \"no\"\nlabels = \"some\"")
        + "\n[attributes.age]\nprovenance = \"estimated\"\ndetail = \"by a model\"\n[vocabulary.height]\nx = \"y\"\n[vocabulary.age]\nx = 1\ny = \"\"\n";
    let (m, problems) = parse_text(&text);
    let all = problems.to_string();
    for want in [
        "key benchmark.identities: expected true or false, found string",
        "key benchmark.labels: value \"some\": expected \"none\"",
        "key vocabulary.height: vocabulary of an undeclared attribute",
        "key vocabulary.age.x: expected a category name (string), found integer",
        "key vocabulary.age.y: value \"\": empty category name",
    ] {
        assert!(all.contains(want), "{want} not in {all}");
    }
    let age = m.attributes.iter().find(|a| a.name == "age");
    assert_eq!(age.and_then(|a| a.detail.as_deref()), Some("by a model"), "{:?}", m.attributes);

    let text = GOOD.replace("licence = \"CC0-1.0\"", "licence = \"CC0-1.0\"\nlabels = \"none\"");
    let (_, problems) = parse_text(&text);
    assert!(problems.to_string().contains("labels = \"none\" says there are no demographic labels"), "{problems}");
}

#[test]
fn protocols_may_be_absent() {
    let text = GOOD.split("\n[[protocols]]").next().unwrap_or_default().to_string();
    let (m, problems) = parse_text(&text);
    assert!(problems.is_empty(), "{problems}");
    assert!(m.protocols.is_empty());
}

#[test]
fn line_col_counts_from_one() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("ab", 99), (1, 3));
}
