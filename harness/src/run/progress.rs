//! Progress reporting without a terminal: the command line supplies the bars.

/// One stage of work with a known number of steps.
pub trait Stage: Sync {
    fn advance(&self, steps: u64);
    fn finish(&self);
}

/// Starts stages. `Silent` reports nothing.
pub trait Progress: Sync {
    fn stage(&self, name: &str, total: u64) -> Box<dyn Stage + '_>;
}

/// Run `work` as a one-step stage named `name`, so that it shows while it runs.
pub fn stage<T>(progress: &dyn Progress, name: &str, work: impl FnOnce() -> T) -> T {
    let s = progress.stage(name, 1);
    let out = work();
    s.advance(1);
    s.finish();
    out
}

pub struct Silent;

struct SilentStage;

impl Stage for SilentStage {
    fn advance(&self, _steps: u64) {}
    fn finish(&self) {}
}

impl Progress for Silent {
    fn stage(&self, _name: &str, _total: u64) -> Box<dyn Stage + '_> {
        Box::new(SilentStage)
    }
}
