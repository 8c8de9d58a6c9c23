pub mod error;
pub mod label;
pub mod segment;
pub mod tokenize;
