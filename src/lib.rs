//! scorebook: performance indicators defined in a rules language, checked against declared
//! sources, and computed with DataFusion. See ARCHITECTURE.md for the stages.

pub mod benchmarks;
pub mod book;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod compile;
pub mod config;
pub mod data;
pub mod demo;
pub mod diagnostics;
pub mod engine;
pub mod format;
pub mod fsutil;
pub mod ir;
pub mod judgement;
pub mod project;
pub mod results;
pub mod span;
pub mod syntax;
pub mod synth;
pub mod testing;
