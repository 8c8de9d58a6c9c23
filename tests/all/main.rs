//! The integration tests, one binary. As eight binaries they linked the crate eight
//! times and ran one after another, each waiting on its slowest test; here the
//! harness spreads every test over the cores at once.

mod common;

mod benchmark;
mod cli;
mod dataset;
mod evaluate;
mod fast_path;
mod pipeline;
mod properties;
mod report;
mod training;
