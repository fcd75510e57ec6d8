//! From trials to numbers: the analysis of one protocol ([`protocol`] for searches and
//! [`verification`] for 1:1, the places where rates are computed) and of one vendor's run ([`vendor_results`]); the plot data
//! ([`curves`]); tests of the differences between groups ([`between_groups`]); summary
//! measures of differential performance ([`differential`]); two vendors on the same
//! trials ([`paired`]); scaling to a deployment ([`projection`]) and planning a test
//! ([`planning`]); differentials adjusted for capture covariates ([`adjusted`]); groupings by capture attribute
//! ([`capture_groupings`]), both on capture columns typed by [`covariate`]. Definitions: `docs/metrics.md`.

pub mod adjusted;
pub mod between_groups;
pub mod capture_bands;
pub mod capture_groupings;
pub mod covariate;
pub mod curves;
pub mod differential;
pub mod paired;
pub mod planning;
pub mod projection;
pub mod protocol;
pub mod vendor_results;
pub mod verification;
