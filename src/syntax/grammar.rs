//! The pest parser generated from `grammar/scorebook.pest`.

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/scorebook.pest"]
pub struct RulesParser;
