//! `verity import KIND SRC --out BENCH`: a public dataset layout turned into a verity
//! benchmark folder, with label provenance and vocabulary recorded (`docs/import.md`).

use crate::error::{CliError, CliResult};
use datasets::import::{ImportOptions, Layout, Naming, PairRule};
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// SRC/SUBJECT/IMAGE, attributes from --subjects.
    Folder,
    /// LFW pairs.txt (SRC) and its images.
    Lfw,
    /// RFW root folder (SRC holds txts/ and data/).
    Rfw,
    /// BFW data table CSV (SRC), with per-model score columns.
    Bfw,
    /// UTKFace folder of AGE_GENDER_RACE_DATETIME.jpg images (attributes only).
    Utkface,
    /// FairFace label CSV (SRC) (attributes only).
    Fairface,
    /// bob CSV protocol folder (SRC holds dev/for_enrolling.csv, ...).
    Bob,
}

impl Kind {
    fn layout(self) -> Layout {
        match self {
            Kind::Folder => Layout::Folder,
            Kind::Lfw => Layout::Lfw,
            Kind::Rfw => Layout::Rfw,
            Kind::Bfw => Layout::Bfw,
            Kind::Utkface => Layout::Utkface,
            Kind::Fairface => Layout::Fairface,
            Kind::Bob => Layout::Bob,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Pairs {
    /// No protocol (add one with `verity protocol`).
    None,
    /// Every unordered pair of samples.
    All,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source layout.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The source: a folder or a file, as the layout needs (see docs/import.md).
    pub src: PathBuf,
    /// The benchmark folder to write (must not exist, be empty, or be written by verity).
    #[arg(long)]
    pub out: PathBuf,
    /// Folder the layout's image paths are relative to (lfw, rfw, bfw, fairface, bob).
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// Subjects table of attributes, first column the subject id (folder, lfw).
    #[arg(long)]
    pub subjects: Option<PathBuf>,
    /// ATTRIBUTE=PROVENANCE (self-declared, annotated, estimated) for each attribute of
    /// --subjects, or each bob metadata column that is an attribute; repeat for several.
    #[arg(long)]
    pub provenance: Vec<String>,
    /// TOML file of [vocabulary.ATTRIBUTE] tables mapping codes to category names.
    #[arg(long)]
    pub vocabulary: Option<PathBuf>,
    /// Verification pairs for the folder layout.
    #[arg(long, value_enum)]
    pub pairs: Option<Pairs>,
    /// folder: frames per second of the videos in SRC/SUBJECT/VIDEO/TRACK/ (a frame's
    /// time is the number ending its file name / fps).
    #[arg(long)]
    pub fps: Option<f64>,
    /// bob: the group folder (default dev).
    #[arg(long)]
    pub group: Option<String>,
    /// bob: extension appended to every path (e.g. .png).
    #[arg(long)]
    pub extension: Option<String>,
    /// Benchmark name (default: the --out folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Benchmark version.
    #[arg(long, default_value = "1")]
    pub version: String,
    /// Licence or terms of use of the data (default: those of the source dataset, unstated).
    #[arg(long)]
    pub licence: Option<String>,
    /// Print the import summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Problems shown before "and N more": a malformed file can have thousands.
const SHOWN: usize = 50;

pub fn execute(args: Args) -> CliResult {
    let layout = args.kind.layout();
    let options = ImportOptions {
        images: args.images.clone(),
        subjects: args.subjects.clone(),
        provenance: args.provenance.clone(),
        vocabulary: args.vocabulary.clone(),
        pairs: match args.pairs {
            Some(Pairs::All) => PairRule::All,
            _ => PairRule::None,
        },
        group: args.group.clone(),
        extension: args.extension.clone(),
        fps: args.fps,
    };
    let dataset = datasets::import::read(layout, &args.src, &options).map_err(render)?;
    let folder_name = args.out.file_name().map(|n| n.to_string_lossy().into_owned());
    let source_file =
        args.src.file_name().map_or_else(|| args.src.display().to_string(), |n| n.to_string_lossy().into_owned());
    let naming = Naming {
        name: args.name.clone().or(folder_name).unwrap_or_else(|| layout.name().to_string()),
        version: args.version.clone(),
        licence: args
            .licence
            .clone()
            .unwrap_or_else(|| format!("terms of use of the source ({}): unstated here", layout.source_name())),
        description: format!(
            "Imported by `verity import {}` from {} ({source_file}).",
            layout.name(),
            layout.source_name()
        ),
    };
    let summary = dataset.write(&args.out, &naming).map_err(render)?;
    if args.json {
        let value = serde_json::to_value(&summary).map_err(|e| CliError::Failure(e.to_string()))?;
        println!("{value}");
    } else {
        print!("{}", crate::text::import::describe(&summary));
        println!("benchmark written to {}", args.out.display());
    }
    Ok(())
}

fn render(e: datasets::import::ImportError) -> CliError {
    let message = match &e {
        datasets::import::ImportError::Input(problems) => {
            let mut lines: Vec<String> = problems.iter().take(SHOWN).map(ToString::to_string).collect();
            if problems.len() > SHOWN {
                lines.push(format!("... and {} more", problems.len() - SHOWN));
            }
            let n = problems.len();
            format!(
                "{n} problem{} in the source; nothing was written:\n{}",
                if n == 1 { "" } else { "s" },
                lines.join("\n")
            )
        }
        other => other.to_string(),
    };
    if e.is_bad_input() { CliError::BadInput(message) } else { CliError::Failure(message) }
}
