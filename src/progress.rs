//! Progress bars for stages that take over a second (indicatif draws nothing when
//! stderr is not a terminal, so logs and CI stay clean).

use harness::run::progress::{Progress, Stage};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

pub struct Bars;

struct Bar(ProgressBar);

impl Stage for Bar {
    fn advance(&self, steps: u64) {
        self.0.inc(steps);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bars {
    fn stage(&self, name: &str, total: u64) -> Box<dyn Stage + '_> {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(name.to_string());
        // A tick keeps the elapsed time moving through stages that advance in one step.
        bar.enable_steady_tick(Duration::from_millis(250));
        Box::new(Bar(bar))
    }
}
