//! Binding sources to data and reading it with the declared schemas (never inferred ones).
//! Every source becomes a table of the session named after it, with the contract's column
//! names and types; every problem names the file, the row and the column.

pub mod date_format;

#[cfg(feature = "engine")]
pub mod columns;
#[cfg(feature = "engine")]
mod load;
#[cfg(feature = "engine")]
pub mod readers;

#[cfg(feature = "engine")]
pub use load::*;
