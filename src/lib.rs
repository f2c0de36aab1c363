//! scorebook: performance indicators defined in a rules language, checked against declared
//! sources, and computed with DataFusion. See ARCHITECTURE.md for the stages.
//!
//! Without the default `engine` feature the crate is the language alone (parsing, checking,
//! formatting, diagnostics): what a fuzzer or an editor integration links.

#[cfg(feature = "engine")]
pub mod benchmarks;
#[cfg(feature = "engine")]
pub mod book;
pub mod calendar;
#[cfg(feature = "engine")]
pub mod catalogue;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "engine")]
pub mod compile;
#[cfg(feature = "engine")]
pub mod config;
pub mod data;
#[cfg(feature = "engine")]
pub mod demo;
pub mod diagnostics;
#[cfg(feature = "engine")]
pub mod diff;
#[cfg(feature = "engine")]
pub mod engine;
pub mod format;
#[cfg(feature = "engine")]
pub mod fsutil;
pub mod functions;
pub mod funnel;
pub mod ir;
pub mod judgement;
#[cfg(feature = "engine")]
pub mod lsp;
pub mod measure_graph;
#[cfg(feature = "engine")]
pub mod output;
pub mod project;
pub mod refusal;
#[cfg(feature = "engine")]
pub mod results;
#[cfg(feature = "engine")]
pub mod session;
pub mod span;
#[cfg(feature = "engine")]
pub mod spc;
pub mod statistics;
pub mod syntax;
#[cfg(feature = "engine")]
pub mod synth;
#[cfg(feature = "engine")]
pub mod testing;
pub mod timings;
