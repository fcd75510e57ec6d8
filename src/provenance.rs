//! The command line a run records to reproduce it: as typed, with every path argument
//! (found through clap's own description of the command) rewritten relative to the output
//! folder, so the same run in another folder records the same command.

use std::path::Path;

/// A word of a command line, quoted so that it can be pasted back into a shell.
fn shell_word(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c)) {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', r"'\''"))
    }
}

/// The command line as typed, to be run from inside the output folder `out`: every path
/// argument (an option or positional of type path, found through clap's own description
/// of the command) is rewritten relative to `out`, and `--out` becomes `.`. So the same
/// run in another folder records the same command, and results carry no absolute path.
pub fn command_line(out: &Path) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    command_line_of(&args, out)
}

/// [`command_line`] of the arguments `args` (the subcommand first) instead of this
/// process's: what `verity merge` records for the run it completes.
pub fn command_line_of(args: &[String], out: &Path) -> String {
    let words = relative_arguments(args, out);
    // The program is named `verity` whatever path started it.
    std::iter::once("verity".to_string()).chain(words.iter().map(|w| shell_word(w))).collect::<Vec<_>>().join(" ")
}

/// `args` (the subcommand first) with path values made relative to `out`.
pub(crate) fn relative_arguments(args: &[String], out: &Path) -> Vec<String> {
    map_paths(args, &|id, value| {
        if id == "out" { ".".to_string() } else { storage::relative::relative_to(Path::new(value), out) }
    })
}

/// `args` (the subcommand first) with path values made absolute (from the current
/// folder), so that they name the same files from anywhere.
pub(crate) fn absolute_arguments(args: &[String]) -> Vec<String> {
    map_paths(args, &|_, value| std::path::absolute(value).map_or(value.to_string(), |p| p.display().to_string()))
}

/// `args` with the value of every path argument replaced by `map(id, value)`.
fn map_paths(args: &[String], map: &dyn Fn(&str, &str) -> String) -> Vec<String> {
    use clap::CommandFactory;
    let root = crate::Cli::command();
    let Some(sub) = args.first().and_then(|name| root.find_subcommand(name)) else {
        return args.to_vec();
    };
    let is_path = |a: &clap::Arg| a.get_value_parser().type_id() == std::any::TypeId::of::<std::path::PathBuf>();
    let relative = map;
    let mut positionals = sub.get_positionals();
    let mut out_words = vec![args[0].clone()];
    let mut i = 1;
    while i < args.len() {
        let word = &args[i];
        i += 1;
        if let Some(long) = word.strip_prefix("--").filter(|w| !w.is_empty()) {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let arg = sub.get_arguments().find(|a| a.get_long() == Some(name));
            let takes_value = arg.is_some_and(|a| a.get_action().takes_values());
            let path = arg.filter(|a| is_path(a)).map(|a| a.get_id().as_str().to_string());
            match (inline, takes_value) {
                (Some(v), _) => {
                    let v = path.as_deref().map_or(v.to_string(), |id| relative(id, v));
                    out_words.push(format!("--{name}={v}"));
                }
                (None, true) if i < args.len() => {
                    out_words.push(word.clone());
                    let v = &args[i];
                    i += 1;
                    out_words.push(path.as_deref().map_or(v.clone(), |id| relative(id, v)));
                }
                _ => out_words.push(word.clone()),
            }
        } else if word == "--" {
            out_words.extend(args[i..].iter().cloned());
            break;
        } else {
            match positionals.next() {
                Some(p) if is_path(p) => out_words.push(relative(p.get_id().as_str(), word)),
                _ => out_words.push(word.clone()),
            }
        }
    }
    out_words
}
