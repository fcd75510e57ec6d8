//! Times verity's kernels on data it writes to a folder, so that `compare_numpy.py`
//! can time the reference on the very same data and print the ratio.
//!
//! `kernels search DIR [queries gallery dim L]`: exhaustive 1:N search with top-L.
//! `kernels counting DIR [trials groups thresholds]`: per-group counts >= T.
//! Prints one JSON line: {"kernel", "seconds" (best of 5), sizes}.

use harness::metrics::counting::GroupedScores;
use harness::run::search::search;
use std::io::Write;
use std::path::Path;
use verity_benches::{
    arg, best_of, counting_thresholds, grouped_scores, one_template_per_subject, seeded, unit_embeddings,
};

fn write_f32(path: &Path, values: &[f32]) {
    let bytes: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write data");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kernel, dir) = match (args.get(1), args.get(2)) {
        (Some(k), Some(d)) => (k.as_str(), Path::new(d)),
        _ => {
            eprintln!("usage: kernels search|counting DIR [sizes...]");
            std::process::exit(2);
        }
    };
    std::fs::create_dir_all(dir).expect("create folder");
    let mut rng = seeded(1);
    match kernel {
        "search" => {
            let (queries, gallery, dim, l) =
                (arg(&args, 3, 4000), arg(&args, 4, 10_000), arg(&args, 5, 128), arg(&args, 6, 10));
            let g = unit_embeddings(gallery, dim, &mut rng);
            let q = unit_embeddings(queries, dim, &mut rng);
            write_f32(&dir.join("gallery.f32"), &g);
            write_f32(&dir.join("queries.f32"), &q);
            let eg = one_template_per_subject(g, dim);
            let (seconds, found) = best_of(5, || search(&eg, &q, &[gallery], l));
            let top1: Vec<u32> = found.iter().map(|per| per[0].first().map_or(u32::MAX, |c| c.0)).collect();
            let bytes: Vec<u8> = top1.iter().flat_map(|x| x.to_le_bytes()).collect();
            std::fs::write(dir.join("top1.u32"), bytes).expect("write result");
            println!(
                "{{\"kernel\":\"search\",\"seconds\":{seconds},\"queries\":{queries},\"gallery\":{gallery},\"dim\":{dim},\"L\":{l},\"threads\":{}}}",
                rayon_threads()
            );
        }
        "counting" => {
            let (trials, groups, thresholds) = (arg(&args, 3, 10_000_000), arg(&args, 4, 8), arg(&args, 5, 5));
            let (scores, codes) = grouped_scores(trials, groups as u32, &mut rng);
            write_f32(&dir.join("scores.f32"), &scores);
            std::fs::write(dir.join("groups.u32"), codes.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
                .expect("write groups");
            let s64: Vec<f64> = scores.iter().map(|&x| x as f64).collect();
            let ts = counting_thresholds(thresholds);
            let (seconds, counts) = best_of(5, || {
                let g = GroupedScores::new(&s64, &codes, groups);
                (0..groups)
                    .flat_map(|gi| ts.iter().map(move |&t| (gi, t)))
                    .map(|(gi, t)| g.at_least(gi, t))
                    .collect::<Vec<u64>>()
            });
            let mut f = std::fs::File::create(dir.join("counts.txt")).expect("write counts");
            for c in counts {
                writeln!(f, "{c}").expect("write counts");
            }
            println!(
                "{{\"kernel\":\"counting\",\"seconds\":{seconds},\"trials\":{trials},\"groups\":{groups},\"thresholds\":{thresholds},\"threads\":{}}}",
                rayon_threads()
            );
        }
        other => {
            eprintln!("unknown kernel `{other}`: search or counting");
            std::process::exit(2);
        }
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
