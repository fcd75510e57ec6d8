//! What the engine works on and what it produces. Types only: nothing here computes a
//! metric, so every stage can depend on the model and the model on none of them.

pub mod adjusted;
pub mod analysis;
pub mod benchmark;
pub mod curves;
pub mod differences;
pub mod population;
pub mod query;
pub mod rate;
pub mod results;
pub mod rows;
pub mod synthetic_face;
pub mod thresholds;
pub mod tracks;
pub mod trials;
