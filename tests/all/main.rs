//! The integration tests, one binary: each module was a binary of its own, and
//! linking the crate eight times cost more than running the tests.

#[path = "cli.rs"]
mod cli;
#[path = "dataset.rs"]
mod dataset;
#[path = "evaluate.rs"]
mod evaluate;
#[path = "fast_path.rs"]
mod fast_path;
#[path = "pipeline.rs"]
mod pipeline;
#[path = "properties.rs"]
mod properties;
#[path = "report.rs"]
mod report;
#[path = "training.rs"]
mod training;
