//! `verity protocol BENCH KIND ...`: build a seeded verification, identification or
//! watchlist protocol from a benchmark's subjects and samples and add it to the
//! benchmark. The work is in `datasets::protocol_builder`; see docs/protocols.md.
//! About 200 lines, over the ~150 of a command: the options of three protocol kinds and
//! their translation into one request, no protocol logic.

use crate::error::{CliError, CliResult};
use crate::text::inspect::render_protocol;
use datasets::inspect::default_protocol_counts;
use datasets::protocol_builder::{
    BuildError, DEFAULT_SEED, Eligible, IdentificationRequest, NonMatedRule, ProtocolRequest, Selection,
    VerificationRequest, WatchlistRequest, add_to_benchmark, build, identity_marker,
};
use harness::model::population::Grouping;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The benchmark folder (holding benchmark.toml).
    pub bench: PathBuf,
    #[command(subcommand)]
    pub kind: Kind,
}

#[derive(clap::Subcommand)]
pub enum Kind {
    /// 1:1 pairs: each probe against its own subject's reference, and non-mated pairs.
    Verification(VerificationArgs),
    /// 1:N open-set: nested galleries, mated and non-mated searches.
    Identification(IdentificationArgs),
    /// NPL-style watchlist: watchlist subjects, their passes, and a crowd.
    Watchlist(WatchlistArgs),
}

#[derive(clap::Args)]
pub struct Common {
    /// Protocol name, unique in the benchmark (it also names the protocol's files).
    /// Default: the kind.
    #[arg(long)]
    pub name: Option<String>,
    /// Seed of every random choice; recorded in benchmark.toml above the protocol.
    #[arg(long, default_value_t = DEFAULT_SEED, allow_negative_numbers = true, value_parser = crate::options::whole::<u64>(0, u64::MAX))]
    pub seed: u64,
    /// Build and print the counts per group, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct Selectors {
    /// Choose equal numbers of subjects (and crowd faces) from every group of this
    /// grouping: an attribute (`ethnicity`) or an intersection (`sex,ethnicity`).
    #[arg(long, conflicts_with = "composition")]
    pub balance: Option<String>,
    /// Choose in proportion to a declared population, e.g.
    /// `ethnicity=asian:0.2,black:0.3,white:0.5` (shares sum to 1).
    #[arg(long)]
    pub composition: Option<String>,
}

#[derive(clap::Args)]
pub struct VerificationArgs {
    #[command(flatten)]
    pub common: Common,
    /// Which other subjects' references each probe meets in non-mated pairs.
    #[arg(long, default_value = "all", value_parser = ["all", "same-group", "cross-group"])]
    pub non_mated: String,
    /// The grouping of same-group / cross-group: an attribute or an intersection (`sex,ethnicity`).
    #[arg(long)]
    pub grouping: Option<String>,
    /// Draw K eligible references per probe (seeded) instead of taking every one.
    #[arg(long, value_name = "K", allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub per_probe: Option<usize>,
}

#[derive(clap::Args)]
pub struct IdentificationArgs {
    #[command(flatten)]
    pub common: Common,
    /// Nested gallery sizes in subjects, ascending, e.g. `1000,10000`; the last is the whole gallery.
    #[arg(long, value_delimiter = ',', required = true, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub gallery_sizes: Vec<usize>,
    /// Candidate list length L.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub candidates: usize,
    /// Subjects not enrolled whose samples are the non-mated searches (default: every one left).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(0, u32::MAX as u64))]
    pub non_mated_subjects: Option<usize>,
    #[command(flatten)]
    pub selection: Selectors,
}

#[derive(clap::Args)]
pub struct WatchlistArgs {
    #[command(flatten)]
    pub common: Common,
    /// Watchlist subjects.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub watchlist_size: usize,
    /// Passes of each watchlist subject (its samples other than the enrolled one).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub passes_per_subject: usize,
    /// Faces seen of people not on the watchlist.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub crowd: usize,
    /// Alerts considered per face (candidate list length L).
    #[arg(long, allow_negative_numbers = true, value_parser = crate::options::whole::<usize>(1, u32::MAX as u64))]
    pub candidates: usize,
    #[command(flatten)]
    pub selection: Selectors,
}

fn bad(e: BuildError) -> CliError {
    if e.is_bad_input() { CliError::BadInput(e.to_string()) } else { CliError::Failure(e.to_string()) }
}

fn grouping(option: &str, text: &str) -> Result<Grouping, CliError> {
    Grouping::parse(text).map_err(|e| CliError::BadInput(format!("{option} `{text}`: {e}")))
}

fn selection(s: &Selectors) -> Result<Selection, CliError> {
    match (&s.balance, &s.composition) {
        (Some(g), _) => Ok(Selection::Balanced(grouping("--balance", g)?)),
        (None, Some(c)) => {
            Selection::parse_composition(c).map_err(|e| CliError::BadInput(format!("--composition: {e}")))
        }
        (None, None) => Ok(Selection::Random),
    }
}

fn request(kind: &Kind) -> Result<(ProtocolRequest, &Common), CliError> {
    Ok(match kind {
        Kind::Verification(a) => {
            let eligible = match a.non_mated.as_str() {
                "same-group" => Eligible::SameGroup,
                "cross-group" => Eligible::CrossGroup,
                _ => Eligible::All,
            };
            let grouping = a.grouping.as_deref().map(|g| grouping("--grouping", g)).transpose()?;
            let name = a.common.name.clone().unwrap_or_else(|| "verification".into());
            let non_mated = NonMatedRule { eligible, grouping, per_probe: a.per_probe };
            (ProtocolRequest::Verification(VerificationRequest { name, non_mated }), &a.common)
        }
        Kind::Identification(a) => (
            ProtocolRequest::Identification(IdentificationRequest {
                name: a.common.name.clone().unwrap_or_else(|| "identification".into()),
                gallery_sizes: a.gallery_sizes.clone(),
                candidates: a.candidates,
                non_mated_subjects: a.non_mated_subjects,
                selection: selection(&a.selection)?,
            }),
            &a.common,
        ),
        Kind::Watchlist(a) => (
            ProtocolRequest::Watchlist(WatchlistRequest {
                name: a.common.name.clone().unwrap_or_else(|| "watchlist".into()),
                size: a.watchlist_size,
                passes_per_subject: a.passes_per_subject,
                crowd: a.crowd,
                candidates: a.candidates,
                selection: selection(&a.selection)?,
            }),
            &a.common,
        ),
    })
}

pub fn execute(args: Args) -> CliResult {
    let (req, common) = request(&args.kind)?;
    let bench = datasets::load(&args.bench)?;
    if let Some(key) = identity_marker(&args.bench) {
        return Err(bad(BuildError::NoIdentities(format!("{}: {key}", args.bench.join("benchmark.toml").display()))));
    }
    let built = build(&bench, &req, common.seed).map_err(bad)?;
    let written = if common.dry_run { None } else { Some(add_to_benchmark(&args.bench, &bench, &built).map_err(bad)?) };
    let counts = default_protocol_counts(&bench, &built.protocol);
    if common.json {
        let summary = serde_json::json!({
            "benchmark": args.bench.display().to_string(),
            "protocol": built.protocol.name(),
            "kind": built.protocol.kind().name(),
            "seed": built.seed,
            "recipe": built.recipe,
            "written": written,
            "counts": counts,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!("{} `{}`: {}", built.protocol.kind().name(), built.protocol.name(), built.recipe);
    print!("{}", render_protocol(&counts, false));
    match written {
        Some(files) => println!(
            "wrote {} and added the protocol to {}",
            files.join(", "),
            args.bench.join("benchmark.toml").display()
        ),
        None => println!("dry run: nothing written"),
    }
    Ok(())
}
