//! The integration tests, one binary: each module was a binary of its own, and
//! linking the crate eight times cost more than running the tests.

mod common;

mod cli;
mod dataset;
mod evaluate;
mod fast_path;
mod pipeline;
mod properties;
mod report;
mod training;
