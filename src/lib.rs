pub mod analyze;
pub mod dataset;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod label;
pub mod metrics;
pub mod model;
pub mod segment;
pub mod stream;
pub mod tokenize;
pub mod train;

pub use error::{Error, Result};
pub use label::Label;
pub use model::{Classifier, Model, Prediction};
