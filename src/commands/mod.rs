pub mod analyse;
pub mod compare;
pub mod demo;
pub mod import;
pub mod inspect;
pub mod plan;
pub mod project;
pub mod protocol;
pub mod report;
pub mod run;
pub mod score;
pub mod simulate;
pub mod validate;

