//! From pest pairs to the AST: one function per grammar rule, named after it.

use super::ast::*;
use super::grammar::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span, Spanned};
use chrono::NaiveDate;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::collections::HashSet;
use std::sync::LazyLock;

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::postfix(Rule::is_missing)
            | Op::postfix(Rule::is_not_missing)
            | Op::postfix(Rule::in_list)
            | Op::postfix(Rule::not_in_list))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

pub(super) struct AstBuilder<'t> {
    pub file: FileId,
    pub text: &'t str,
    /// Comment spans from the lexical scan, in order.
    pub comments: &'t [Comment],
}

/// The next child of a pair. Running out means the grammar and this code disagree.
fn next<'i>(pairs: &mut Pairs<'i, Rule>) -> Pair<'i, Rule> {
    pairs.next().expect("grammar and parser disagree: a child is missing")
}

static KEYWORDS: LazyLock<HashSet<Rule>> =
    LazyLock::new(|| Rule::all_rules().iter().copied().filter(|r| format!("{r:?}").starts_with("kw_")).collect());

/// Keyword tokens carry no data; `children` skips them.
fn is_keyword(rule: Rule) -> bool {
    KEYWORDS.contains(&rule)
}

fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl AstBuilder<'_> {
    /// The span of a pair, without the whitespace and comments pest's implicit skipping
    /// leaves at the end of rules that end in a repetition.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let (start, mut end) = (s.start(), s.end());
        let bytes = self.text.as_bytes();
        while end > start {
            if bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            } else if let Ok(i) = self.comments.binary_search_by_key(&end, |c| c.span.end) {
                end = self.comments[i].span.start.max(start);
            } else {
                break;
            }
        }
        Span::new(self.file, start, end)
    }

    pub fn file(&self, pair: Pair<'_, Rule>) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for p in pair.into_inner() {
            let span = self.span(&p);
            let kind = match p.as_rule() {
                Rule::source_decl => ItemKind::Source(self.source_decl(p)?),
                Rule::population_decl => ItemKind::Population(self.population_decl(p)?),
                Rule::standard_decl => ItemKind::Standard(self.standard_decl(p)?),
                Rule::reference_decl => ItemKind::Reference(self.reference_decl(p)?),
                Rule::calendar_decl => ItemKind::Calendar(self.calendar_decl(p)),
                Rule::theme_block => ItemKind::Theme(self.theme_block(p)?),
                Rule::measure => ItemKind::Measure(self.measure(p)?),
                Rule::test_block => ItemKind::Test(self.test_block(p)?),
                Rule::EOI => continue,
                other => unreachable!("grammar and parser disagree: item {other:?}"),
            };
            items.push(Item { kind, span });
        }
        Ok(items)
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(&pair))
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Str {
        let span = self.span(&pair);
        let text = pair.into_inner().next().map(|p| unescape(p.as_str())).unwrap_or_default();
        Spanned::new(text, span)
    }

    /// Strings written one after another (`"a long " "title"`), as one.
    fn joined<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Str {
        let parts: Vec<Str> = pairs.map(|p| self.string(p)).collect();
        let span = match (parts.first(), parts.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => unreachable!("grammar and parser disagree: a clause with no string"),
        };
        Spanned::new(parts.into_iter().map(|p| p.node).collect(), span)
    }

    fn date(&self, pair: Pair<'_, Rule>) -> Result<Spanned<NaiveDate>> {
        let span = self.span(&pair);
        NaiveDate::parse_from_str(pair.as_str(), "%Y-%m-%d").map(|d| Spanned::new(d, span)).map_err(|_| {
            Box::new(
                Diagnostic::new(Code::InvalidDate, span, format!("`{}` is not a date", pair.as_str()))
                    .label("no such day")
                    .help("write a real date as YYYY-MM-DD, for example 2013-02-28"),
            )
        })
    }

    fn number_text(&self, text: &str, span: Span) -> Result<f64> {
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && text.trim_start_matches('-').len() <= 20 => Ok(v),
            _ => Err(Box::new(
                Diagnostic::new(Code::InvalidNumber, span, format!("`{text}` is too large a number"))
                    .label("too large")
                    .help("keep figures within 15 significant digits"),
            )),
        }
    }

    fn unsigned(&self, pair: Pair<'_, Rule>) -> Result<Spanned<f64>> {
        let span = self.span(&pair);
        Ok(Spanned::new(self.number_text(pair.as_str(), span)?, span))
    }

    fn quantity(&self, pair: Pair<'_, Rule>) -> Result<Quantity> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let number = next(&mut inner);
        let text = number.as_str().to_string();
        let value = self.number_text(&text, span)?;
        Ok(Quantity { value, text, percent: inner.next().is_some(), span })
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let inner = next(&mut pair.into_inner());
        Ok(match inner.as_rule() {
            Rule::date => Literal::Date(self.date(inner)?.node),
            Rule::quantity => Literal::Number(self.quantity(inner)?),
            Rule::string => Literal::String(self.string(inner).node),
            Rule::kw_true => Literal::Bool(true),
            Rule::kw_false => Literal::Bool(false),
            other => unreachable!("grammar and parser disagree: literal {other:?}"),
        })
    }

    // -------------------------------------------------------------------------- sources

    fn source_decl(&self, pair: Pair<'_, Rule>) -> Result<SourceDecl> {
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("source name"));
        let mut description = None;
        let mut entries = Vec::new();
        let mut subset = None;
        for p in inner {
            let span = self.span(&p);
            let kind = match p.as_rule() {
                Rule::string => {
                    description = Some(self.string(p));
                    continue;
                }
                Rule::subset_of => {
                    subset = Some(self.subset_of(p)?);
                    continue;
                }
                Rule::lookup_decl => {
                    let mut i = children(p);
                    let source = self.ident(i.next().expect("lookup source"));
                    let by = self.ident(i.next().expect("lookup column"));
                    SourceEntryKind::Lookup { source, by }
                }
                Rule::column_decl => SourceEntryKind::Column(self.column_decl(p)?),
                Rule::spans_decl => {
                    let mut i = children(p);
                    let start = self.ident(i.next().expect("spans start"));
                    let end = self.ident(i.next().expect("spans end"));
                    SourceEntryKind::Spans { start, end }
                }
                Rule::snapshot_decl => SourceEntryKind::Snapshot(self.ident(children(p).next().expect("snapshot"))),
                Rule::let_decl => {
                    let mut i = children(p);
                    let name = self.ident(i.next().expect("let name"));
                    SourceEntryKind::Let { name, expr: self.expr(i.next().expect("let value"))? }
                }
                Rule::adjacent_decl => {
                    let mut i = children(p);
                    let next = i.next().expect("previous or next").as_str() == "next";
                    let name = self.ident(i.next().expect("adjacent name"));
                    let by = self.ident(i.next().expect("adjacent entity"));
                    let order = self.ident(i.next().expect("adjacent order"));
                    SourceEntryKind::Adjacent { next, name, by, order }
                }
                other => unreachable!("grammar and parser disagree: source entry {other:?}"),
            };
            entries.push(SourceEntry { kind, span });
        }
        Ok(SourceDecl { name, description, entries, subset })
    }

    fn subset_of(&self, pair: Pair<'_, Rule>) -> Result<SubsetOf> {
        let mut inner = children(pair);
        let parent = self.ident(inner.next().expect("subset parent"));
        let mut filters = Vec::new();
        let mut merge = None;
        for f in inner {
            let span = self.span(&f);
            if f.as_rule() == Rule::merge_spans {
                merge = Some(MergeSpans { by: self.ident(children(f).next().expect("merge column")), span });
                continue;
            }
            let excluding = f.as_rule() == Rule::excluding_clause;
            let condition = self.expr(children(f).next().expect("subset condition"))?;
            filters.push(SubsetFilter { excluding, condition, span });
        }
        Ok(SubsetOf { parent, filters, merge })
    }

    fn column_decl(&self, pair: Pair<'_, Rule>) -> Result<ColumnDecl> {
        let mut inner = pair.into_inner();
        let name = self.ident(next(&mut inner));
        let mut ty_parts = next(&mut inner).into_inner();
        let ty = self.ident(next(&mut ty_parts));
        // A name and type on different lines is an unknown option of the column above.
        if self.text[name.span.end..ty.span.start].contains('\n') {
            return Err(Box::new(super::unknown_column_option(self.file, &name.node, name.span)));
        }
        let optional = ty_parts.next().is_some();
        let mut options = Vec::new();
        for p in inner {
            let span = self.span(&p);
            let rule = p.as_rule();
            let mut args = children(p);
            let kind = match rule {
                Rule::key_option => ColumnOptionKind::Key,
                Rule::header_option => ColumnOptionKind::Header(self.string(args.next().expect("header"))),
                Rule::format_option => ColumnOptionKind::Format(self.string(args.next().expect("format"))),
                Rule::missing_option => ColumnOptionKind::Missing(args.map(|s| self.string(s)).collect()),
                Rule::map_option => ColumnOptionKind::Map(args.map(|e| self.map_entry(e)).collect::<Result<_>>()?),
                other => unreachable!("grammar and parser disagree: column option {other:?}"),
            };
            options.push(ColumnOption { kind, span });
        }
        Ok(ColumnDecl { name, ty, optional, options })
    }

    fn map_entry(&self, pair: Pair<'_, Rule>) -> Result<MapEntry> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let from = self.string(next(&mut inner));
        let to = self.literal(next(&mut inner))?;
        Ok(MapEntry { from, to, span })
    }

    fn population_decl(&self, pair: Pair<'_, Rule>) -> Result<PopulationDecl> {
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("population name"));
        let source = self.ident(inner.next().expect("population source"));
        let filter = inner.next().map(|e| self.expr(e)).transpose()?;
        Ok(PopulationDecl { name, source, filter })
    }

    fn reference_decl(&self, pair: Pair<'_, Rule>) -> Result<ReferenceDecl> {
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("reference name"));
        let source = self.ident(inner.next().expect("reference source"));
        let filter = inner.next().map(|e| self.expr(e)).transpose()?;
        Ok(ReferenceDecl { name, source, filter })
    }

    fn standard_decl(&self, pair: Pair<'_, Rule>) -> Result<StandardDecl> {
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("standard name"));
        let bands = inner
            .map(|band| {
                let mut parts = children(band);
                let label = self.string(parts.next().expect("band label"));
                let weight = self.unsigned(parts.next().expect("band weight"))?;
                Ok(StandardBand { label, weight })
            })
            .collect::<Result<_>>()?;
        Ok(StandardDecl { name, bands })
    }

    fn calendar_decl(&self, pair: Pair<'_, Rule>) -> CalendarDecl {
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("calendar name"));
        let holidays = inner.next().map(|h| self.string(children(h).next().expect("holiday list")));
        CalendarDecl { name, holidays }
    }

    // -------------------------------------------------------------------------- measures

    fn theme_block(&self, pair: Pair<'_, Rule>) -> Result<ThemeBlock> {
        let close = self.close_brace(&pair);
        let mut inner = children(pair);
        let name = self.string(inner.next().expect("theme name"));
        let measures = inner.map(|m| self.measure(m)).collect::<Result<_>>()?;
        Ok(ThemeBlock { name, measures, close })
    }

    /// The span of a block's closing `}` (its last byte).
    fn close_brace(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = self.span(pair);
        Span::new(self.file, s.end.saturating_sub(1), s.end)
    }

    fn measure(&self, pair: Pair<'_, Rule>) -> Result<Measure> {
        let span = self.span(&pair);
        let close = self.close_brace(&pair);
        let mut inner = children(pair);
        let name = self.ident(inner.next().expect("measure name"));
        let mut clauses = Vec::new();
        let mut versions = Vec::new();
        for c in inner {
            if c.as_rule() == Rule::version_block {
                versions.push(self.version(c)?);
            } else {
                clauses.push(self.clause(c)?);
            }
        }
        Ok(Measure { name, clauses, versions, span, close })
    }

    fn version(&self, pair: Pair<'_, Rule>) -> Result<Version> {
        let span = self.span(&pair);
        let close = self.close_brace(&pair);
        let mut inner = children(pair);
        let number = self.unsigned(inner.next().expect("version number"))?;
        let from = self.date(inner.next().expect("version date"))?;
        let note = self.string(inner.next().expect("version note"));
        let clauses = inner.map(|c| self.clause(c)).collect::<Result<_>>()?;
        Ok(Version { number, from, note, clauses, span, close })
    }

    fn per_spec(&self, pair: Pair<'_, Rule>) -> Result<PerSpec> {
        let mut inner = children(pair);
        let per = self.unsigned(inner.next().expect("per figure"))?;
        let population = self.ident(inner.next().expect("per population"));
        let standardised = inner.next().map(|s| {
            let span = self.span(&s);
            let mut parts = children(s);
            let by = self.ident(parts.next().expect("standardised by"));
            let standard = self.ident(parts.next().expect("standard name"));
            Box::new(Standardised { by, standard, span })
        });
        Ok(PerSpec { per, population, standardised })
    }

    fn distinct_and_source<'i>(&self, mut inner: impl Iterator<Item = Pair<'i, Rule>>) -> (Option<Ident>, Ident) {
        let first = inner.next().expect("count target");
        if first.as_rule() == Rule::distinct_of {
            let col = self.ident(children(first).next().expect("distinct column"));
            (Some(col), self.ident(inner.next().expect("count source")))
        } else {
            (None, self.ident(first))
        }
    }

    fn clause(&self, pair: Pair<'_, Rule>) -> Result<Clause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = children(pair);
        let mut first = || inner.next().expect("grammar and parser disagree: clause argument");
        let kind = match rule {
            Rule::ref_clause => ClauseKind::Ref(self.string(first())),
            Rule::title_clause => ClauseKind::Title(self.joined(inner)),
            Rule::description_clause => ClauseKind::Description(self.joined(inner)),
            Rule::theme_clause => ClauseKind::Theme(self.string(first())),
            Rule::unit_clause => ClauseKind::Unit(self.ident(first())),
            Rule::precision_clause => ClauseKind::Precision(self.unsigned(first())?),
            Rule::count_clause => {
                let (distinct, source) = self.distinct_and_source(inner);
                ClauseKind::Count { distinct, source }
            }
            Rule::percent_clause => {
                let (distinct, source) = self.distinct_and_source(inner);
                ClauseKind::Percent { distinct, source }
            }
            Rule::rate_clause => {
                let measure = self.ident(first());
                let per = self.per_spec(first())?;
                ClauseKind::RateOf { measure, per }
            }
            Rule::aggregate_clause => {
                let head = first();
                let (func, percentile) = if head.as_rule() == Rule::percentile_at {
                    let mut parts = head.into_inner();
                    let keyword = next(&mut parts);
                    let func = Spanned::new("percentile".to_string(), self.span(&keyword));
                    (func, Some(self.unsigned(next(&mut parts))?))
                } else {
                    (self.ident(head), None)
                };
                let expr = self.expr(first())?;
                let (distinct, source) = self.distinct_and_source(inner);
                ClauseKind::Aggregate { func, percentile, expr, distinct, source }
            }
            Rule::ratio_clause => ClauseKind::Ratio { source: self.ident(first()) },
            Rule::sum_part_clause => {
                let part = match first().as_str() {
                    "numerator" => SumPart::Numerator,
                    _ => SumPart::Denominator,
                };
                ClauseKind::SumPart { part, expr: self.expr(first())? }
            }
            Rule::hidden_clause => ClauseKind::Hidden,
            Rule::funnel_clause => {
                let by = self.ident(first());
                ClauseKind::Funnel { by, overdispersed: inner.next().map(|o| self.span(&o)) }
            }
            Rule::expected_clause => {
                let population = self.ident(first());
                let reference = self.ident(first());
                let scale = match inner.next() {
                    Some(s) if s.as_rule() == Rule::expected_per => {
                        ExpectedScale::Rate(self.unsigned(children(s).next().expect("per N"))?)
                    }
                    Some(s) => ExpectedScale::Ratio(Some(self.unsigned(children(s).next().expect("times N"))?)),
                    None => ExpectedScale::Ratio(None),
                };
                ClauseKind::Expected { population, reference, scale }
            }
            Rule::calculate_clause => ClauseKind::Calculate(self.expr(first())?),
            Rule::in_period_clause => ClauseKind::InPeriod(self.ident(first())),
            Rule::open_clause => match first().as_rule() {
                Rule::open_during => ClauseKind::OpenDuringPeriod,
                _ => ClauseKind::OpenAtPeriodEnd,
            },
            Rule::snapshot_clause => ClauseKind::LatestSnapshot {
                months: inner.next().map(|m| children(m).map(|i| self.ident(i)).collect()).unwrap_or_default(),
            },
            Rule::first_per_clause => ClauseKind::FirstPer(self.ident(first())),
            Rule::reported_clause => ClauseKind::ReportedBy(self.ident(first())),
            Rule::follow_up_clause => {
                let months = self.unsigned(first())?;
                let then = inner.next().map(|p| self.unsigned(p)).transpose()?;
                ClauseKind::FollowUp { months, then }
            }
            Rule::where_clause => ClauseKind::Where(self.expr(first())?),
            Rule::excluding_clause => ClauseKind::Excluding(self.expr(first())?),
            Rule::meeting_clause => ClauseKind::Meeting(self.expr(first())?),
            Rule::per_clause => ClauseKind::Per(self.per_spec(first())?),
            Rule::cumulative_clause => {
                let w = first();
                ClauseKind::Cumulative(match w.as_rule() {
                    Rule::from_fy_start => {
                        WindowSpec::FromYearStart { fy: w.clone().into_inner().any(|k| k.as_rule() == Rule::kw_fy) }
                    }
                    _ => WindowSpec::Since(self.date(children(w).next().expect("since date"))?),
                })
            }
            Rule::by_clause => ClauseKind::By(inner.map(|i| self.by_item(i)).collect::<Result<_>>()?),
            Rule::polarity_clause => ClauseKind::Polarity(self.ident(first())),
            Rule::target_clause => {
                let figure = self.quantity(first())?;
                ClauseKind::Target { figure, per_year: inner.next().is_some() }
            }
            Rule::interval_clause => {
                let mut method = None;
                let mut level = None;
                for part in inner {
                    match part.as_rule() {
                        Rule::ident => method = Some(self.ident(part)),
                        _ => {
                            let figure = children(part).next().expect("grammar and parser disagree: a level");
                            level = Some(self.quantity(figure)?);
                        }
                    }
                }
                ClauseKind::Interval { method, level }
            }
            Rule::rag_clause => ClauseKind::Rag(inner.map(|r| self.rag_rule(r)).collect::<Result<_>>()?),
            Rule::benchmark_clause => {
                ClauseKind::Benchmark(inner.map(|b| self.benchmark_item(b)).collect::<Result<_>>()?)
            }
            other => unreachable!("grammar and parser disagree: clause {other:?}"),
        };
        Ok(Clause { kind, span })
    }

    fn by_item(&self, pair: Pair<'_, Rule>) -> Result<ByItem> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let first = next(&mut inner);
        let mut label = None;
        let mut expr = None;
        let name = match first.as_rule() {
            Rule::ident => Some(self.ident(first)),
            _ => {
                expr = Some(self.expr(first)?);
                None
            }
        };
        for p in inner {
            match p.as_rule() {
                Rule::by_label => label = Some(self.string(next(&mut p.into_inner()))),
                _ => expr = Some(self.expr(p)?),
            }
        }
        let expr = expr.unwrap_or_else(|| unreachable!("grammar and parser disagree: a breakdown without its value"));
        Ok(ByItem { name, label, expr, span })
    }

    fn rag_rule(&self, pair: Pair<'_, Rule>) -> Result<RagRule> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = children(pair);
        let colour = self.ident(inner.next().expect("rag colour"));
        let condition = match rule {
            Rule::rag_when => Some(self.expr(inner.next().expect("rag condition"))?),
            _ => None,
        };
        Ok(RagRule { colour, condition, span })
    }

    fn benchmark_item(&self, pair: Pair<'_, Rule>) -> Result<BenchmarkItem> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = children(pair);
        let kind = match rule {
            Rule::benchmark_method => BenchmarkKind::Method(self.ident(inner.next().expect("method"))),
            Rule::benchmark_figure => {
                let of = self.ident(inner.next().expect("benchmark kind"));
                BenchmarkKind::Figure { of, figure: self.quantity(inner.next().expect("benchmark figure"))? }
            }
            Rule::benchmark_published => {
                let source = self.ident(inner.next().expect("published source"));
                let column = self.ident(inner.next().expect("published column"));
                let mut filter = None;
                let mut per = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::expr => filter = Some(self.expr(p)?),
                        _ => per = Some(self.per_spec(p)?),
                    }
                }
                BenchmarkKind::Published { source, column, filter, per }
            }
            other => unreachable!("grammar and parser disagree: benchmark {other:?}"),
        };
        Ok(BenchmarkItem { kind, span })
    }

    // -------------------------------------------------------------------------- expressions

    pub fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not { UnaryOp::Not } else { UnaryOp::Neg };
                Ok(Expr { kind: ExprKind::Unary { op, expr: Box::new(rhs) }, span })
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = lhs.span.to(self.span(&op));
                let kind = match op.as_rule() {
                    Rule::is_missing => ExprKind::IsMissing { expr: Box::new(lhs), negated: false },
                    Rule::is_not_missing => ExprKind::IsMissing { expr: Box::new(lhs), negated: true },
                    rule => {
                        let list = children(op).map(|e| self.expr(e)).collect::<Result<_>>()?;
                        ExprKind::InList { expr: Box::new(lhs), list, negated: rule == Rule::not_in_list }
                    }
                };
                Ok(Expr { kind, span })
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::NotEq,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::LtEq,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::GtEq,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    Rule::op_div => BinaryOp::Div,
                    other => unreachable!("grammar and parser disagree: operator {other:?}"),
                };
                let span = lhs.span.to(rhs.span);
                Ok(Expr { kind: ExprKind::Binary { op, left: Box::new(lhs), right: Box::new(rhs) }, span })
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => ExprKind::Paren(Box::new(self.expr(next(&mut pair.into_inner()))?)),
            Rule::literal => ExprKind::Literal(self.literal(pair)?),
            Rule::path => {
                let mut qualifiers: Vec<Ident> = pair.into_inner().map(|p| self.ident(p)).collect();
                let name = qualifiers.pop().expect("path name");
                ExprKind::Path { qualifiers, name }
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let func = self.ident(next(&mut inner));
                let args = inner.map(|a| self.expr(a)).collect::<Result<_>>()?;
                ExprKind::Call { func, args }
            }
            Rule::exists_expr => {
                let mut source = None;
                let mut alias = None;
                let mut condition = None;
                let mut saw_as = false;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::kw_as => saw_as = true,
                        Rule::ident if source.is_none() => source = Some(self.ident(p)),
                        Rule::ident if saw_as => alias = Some(self.ident(p)),
                        Rule::expr => condition = Some(Box::new(self.expr(p)?)),
                        _ => {}
                    }
                }
                ExprKind::Exists { source: source.expect("exists source"), alias, condition }
            }
            Rule::related_expr => {
                let mut inner = pair.into_inner();
                let func = self.ident(next(&mut inner));
                let mut value = None;
                let mut source = None;
                let mut alias = None;
                let mut condition = None;
                let mut saw_as = false;
                for p in inner {
                    match p.as_rule() {
                        Rule::related_value => value = Some(self.expr(next(&mut p.into_inner()))?),
                        Rule::kw_as => saw_as = true,
                        Rule::ident if source.is_none() => source = Some(self.ident(p)),
                        Rule::ident if saw_as => alias = Some(self.ident(p)),
                        Rule::expr => condition = Some(self.expr(p)?),
                        _ => {}
                    }
                }
                let source = source.expect("related source");
                ExprKind::Related(Box::new(Related { func, value, source, alias, condition }))
            }
            other => unreachable!("grammar and parser disagree: primary {other:?}"),
        };
        Ok(Expr { kind, span })
    }

    // -------------------------------------------------------------------------- tests

    fn test_block(&self, pair: Pair<'_, Rule>) -> Result<TestBlock> {
        let close = self.close_brace(&pair);
        let mut inner = children(pair);
        let name = self.string(inner.next().expect("test name"));
        let mut entries = Vec::new();
        for p in inner {
            let span = self.span(&p);
            let rule = p.as_rule();
            let mut args = children(p);
            let kind = match rule {
                Rule::given_file => {
                    let source = self.ident(args.next().expect("given source"));
                    TestEntryKind::GivenFile { source, path: self.string(args.next().expect("given path")) }
                }
                Rule::given_table => {
                    let source = self.ident(args.next().expect("given source"));
                    TestEntryKind::GivenTable { source, table: Box::new(self.table(args.next().expect("table"), span)) }
                }
                Rule::as_of => TestEntryKind::AsOf(self.date(args.next().expect("as-of date"))?),
                Rule::expect => TestEntryKind::Expect(Box::new(self.expect(args)?)),
                other => unreachable!("grammar and parser disagree: test entry {other:?}"),
            };
            entries.push(TestEntry { kind, span });
        }
        Ok(TestBlock { name, entries, close })
    }

    fn expect<'i>(&self, mut args: impl Iterator<Item = Pair<'i, Rule>>) -> Result<Expectation> {
        let measure = self.ident(args.next().expect("expect measure"));
        let mut next_arg = args.next().expect("expect period");
        let mut version = None;
        if next_arg.as_rule() == Rule::expect_version {
            version = Some(self.unsigned(children(next_arg).next().expect("version number"))?);
            next_arg = args.next().expect("expect period");
        }
        let period = self.period_sel(next_arg);
        let mut breakdown = None;
        let mut field = None;
        let mut value = None;
        for p in args {
            match p.as_rule() {
                Rule::breakdown_sel => {
                    let mut i = children(p);
                    let col = self.ident(i.next().expect("breakdown column"));
                    // `children` drops keywords, so `missing` is read from the pair itself.
                    let v = match i.next() {
                        None => Spanned::new(None, col.span),
                        Some(v) if v.as_rule() == Rule::string => {
                            let s = self.string(v);
                            Spanned::new(Some(s.node), s.span)
                        }
                        Some(v) => {
                            let s = self.ident(v);
                            Spanned::new(Some(s.node), s.span)
                        }
                    };
                    breakdown = Some((col, v));
                }
                Rule::expect_field => field = Some(self.ident(next(&mut p.into_inner()))),
                Rule::expect_value => {
                    let span = self.span(&p);
                    let v = next(&mut p.into_inner());
                    let kind = match v.as_rule() {
                        Rule::kw_missing => ExpectedValueKind::Missing,
                        Rule::quantity => ExpectedValueKind::Number(self.quantity(v)?),
                        Rule::string => ExpectedValueKind::Text(self.string(v).node),
                        _ => ExpectedValueKind::Word(v.as_str().to_string()),
                    };
                    value = Some(ExpectedValue { kind, span });
                }
                other => unreachable!("grammar and parser disagree: expectation {other:?}"),
            }
        }
        Ok(Expectation { measure, version, period, breakdown, field, value: value.expect("expected value") })
    }

    fn period_sel(&self, pair: Pair<'_, Rule>) -> PeriodSelector {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut parts = children(pair).map(|p| p.as_str().to_string());
        let kind = match rule {
            Rule::period_year => PeriodSelectorKind::Year { label: parts.next().expect("year label") },
            Rule::period_quarter => PeriodSelectorKind::Quarter {
                label: parts.next().expect("quarter year"),
                quarter: parts.next().expect("quarter number"),
            },
            Rule::period_month => PeriodSelectorKind::Month { label: parts.next().expect("month label") },
            _ => PeriodSelectorKind::Ytd,
        };
        PeriodSelector { kind, span }
    }

    fn table(&self, pair: Pair<'_, Rule>, entry_span: Span) -> Table {
        let mut rows = pair.into_inner().map(|row| {
            let span = self.span(&row);
            let cells = row
                .into_inner()
                .map(|cell| {
                    let cell_span = self.span(&cell);
                    match cell.into_inner().next() {
                        None => Cell { text: None, quoted: false, span: cell_span },
                        Some(v) if v.as_rule() == Rule::string => {
                            let s = self.string(v);
                            Cell { text: Some(s.node), quoted: true, span: s.span }
                        }
                        Some(v) => Cell { text: Some(v.as_str().to_string()), quoted: false, span: self.span(&v) },
                    }
                })
                .collect();
            Row { cells, span }
        });
        match rows.next() {
            Some(header) => {
                let header_span = header.span;
                let names =
                    header.cells.into_iter().map(|c| Spanned::new(c.text.unwrap_or_default(), c.span)).collect();
                Table { header: names, rows: rows.collect(), header_span }
            }
            None => Table { header: Vec::new(), rows: Vec::new(), header_span: entry_span },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::span::FileId;
    use crate::syntax::ast::*;

    fn module(text: &str) -> Module {
        crate::syntax::parse(FileId(0), text).unwrap_or_else(|d| panic!("{text}\n{d:#?}"))
    }

    /// The expression as an S-expression: every operator's operands explicit.
    fn sexp(e: &Expr) -> String {
        let list = |xs: &[Expr]| xs.iter().map(sexp).collect::<Vec<_>>().join(" ");
        match &e.kind {
            ExprKind::Literal(Literal::Number(q)) => format!("{}{}", q.text, if q.percent { "%" } else { "" }),
            ExprKind::Literal(Literal::String(s)) => format!("{s:?}"),
            ExprKind::Literal(Literal::Date(d)) => d.to_string(),
            ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
            ExprKind::Path { qualifiers, name } => {
                qualifiers.iter().chain([name]).map(|i| i.node.as_str()).collect::<Vec<_>>().join(".")
            }
            ExprKind::Call { func, args } => format!("({} {})", func.node, list(args)),
            ExprKind::Unary { op: UnaryOp::Not, expr } => format!("(not {})", sexp(expr)),
            ExprKind::Unary { op: UnaryOp::Neg, expr } => format!("(- {})", sexp(expr)),
            ExprKind::Binary { op, left, right } => format!("({} {} {})", op.symbol(), sexp(left), sexp(right)),
            ExprKind::IsMissing { expr, negated } => {
                format!("({} {})", if *negated { "present" } else { "missing" }, sexp(expr))
            }
            ExprKind::InList { expr, list: items, negated } => {
                format!("({} {} [{}])", if *negated { "not-in" } else { "in" }, sexp(expr), list(items))
            }
            ExprKind::Exists { source, alias, condition } => format!(
                "(exists {}{}{})",
                source.node,
                alias.as_ref().map(|a| format!(" as {}", a.node)).unwrap_or_default(),
                condition.as_ref().map(|c| format!(" {}", sexp(c))).unwrap_or_default()
            ),
            ExprKind::Related(r) => format!(
                "({}{} {}{}{})",
                r.func.node,
                r.value.as_ref().map(|v| format!(" {}", sexp(v))).unwrap_or_default(),
                r.source.node,
                r.alias.as_ref().map(|a| format!(" as {}", a.node)).unwrap_or_default(),
                r.condition.as_ref().map(|c| format!(" {}", sexp(c))).unwrap_or_default()
            ),
            ExprKind::Paren(inner) => format!("[{}]", sexp(inner)),
        }
    }

    /// The expression of `where EXPR` in a measure.
    fn condition(text: &str) -> String {
        let m = module(&format!("measure m {{\n  where {text}\n}}\n"));
        let ItemKind::Measure(me) = &m.items[0].kind else { panic!("{text}") };
        let ClauseKind::Where(e) = &me.clauses[0].kind else { panic!("{text}: {:?}", me.clauses[0].kind) };
        sexp(e)
    }

    #[test]
    fn expressions_parse_with_the_languages_precedence() {
        let cases = [
            ("a + b * c", "(+ a (* b c))"),
            ("a - b - c", "(- (- a b) c)"),
            ("a / b * c", "(* (/ a b) c)"),
            ("-a + 1", "(+ (- a) 1)"),
            ("not a = 1 or b", "(or (not (= a 1)) b)"),
            ("a or b and c", "(or a (and b c))"),
            ("a <= 10 and b != \"x\"", "(and (<= a 10) (!= b \"x\"))"),
            ("(a + b) * c", "(* [(+ a b)] c)"),
            ("x is missing or y is not missing", "(or (missing x) (present y))"),
            ("t in (\"a\", \"b\") and u not in (1)", "(and (in t [\"a\" \"b\"]) (not-in u [1]))"),
            ("working_days(a, b) <= 10", "(<= (working_days a b) 10)"),
            ("d >= 2013-04-01", "(>= d 2013-04-01)"),
            ("share > 50%", "(> share 50%)"),
            ("plans.request.child.birth_date < d", "(< plans.request.child.birth_date d)"),
            ("earlier.outcome = \"agreed\"", "(= earlier.outcome \"agreed\")"),
            (
                "exists referrals as r where r.child_id = child_id and r.d < d",
                "(exists referrals as r (and (= r.child_id child_id) (< r.d d)))",
            ),
            // A related aggregate's `where` runs to the end: parentheses close it.
            ("count episodes as p where p.CHILD = CHILD > 1", "(count episodes as p (> (= p.CHILD CHILD) 1))"),
            ("(count episodes as p where p.CHILD = CHILD) > 1", "(> [(count episodes as p (= p.CHILD CHILD))] 1)"),
            (
                "latest p.DECOM of episodes as p where p.CHILD = CHILD",
                "(latest p.DECOM episodes as p (= p.CHILD CHILD))",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(condition(text), expected, "{text}");
        }
    }

    #[test]
    fn a_source_declares_named_values_and_adjacent_rows() {
        let m = module(
            "source requests {\n  request_id text key\n  child_id text\n  request_date date\n  \
             let year_end = add_months(request_date, 12)\n  previous earlier by child_id order by request_date\n  \
             next later by child_id order by request_date\n}\n",
        );
        let ItemKind::Source(s) = &m.items[0].kind else { panic!() };
        let kinds: Vec<String> = s
            .entries
            .iter()
            .map(|e| match &e.kind {
                SourceEntryKind::Column(c) => format!("column {}", c.name.node),
                SourceEntryKind::Let { name, expr } => format!("let {} = {}", name.node, sexp(expr)),
                SourceEntryKind::Adjacent { next, name, by, order } => {
                    format!(
                        "{} {} by {} order by {}",
                        if *next { "next" } else { "previous" },
                        name.node,
                        by.node,
                        order.node
                    )
                }
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "column request_id",
                "column child_id",
                "column request_date",
                "let year_end = (add_months request_date 12)",
                "previous earlier by child_id order by request_date",
                "next later by child_id order by request_date",
            ]
        );
    }

    /// A breakdown's label follows its name, or a plain column; the `=` form keeps working
    /// without one.
    #[test]
    fn a_breakdown_may_carry_a_label() {
        let m = module(
            "measure m {\n  count r\n  by legal_status \"Legal status\" = LS, area \"Area\", header.SEX \"Sex\", \
             band = b, team\n}\n",
        );
        let ItemKind::Measure(measure) = &m.items[0].kind else { panic!() };
        let Some(ClauseKind::By(items)) =
            measure.clauses.iter().map(|c| &c.kind).find(|k| matches!(k, ClauseKind::By(_)))
        else {
            panic!("no by clause")
        };
        let shown: Vec<String> = items
            .iter()
            .map(|b| {
                format!(
                    "{}|{}|{}",
                    b.name.as_ref().map_or("", |n| n.node.as_str()),
                    b.label.as_ref().map_or("", |l| l.node.as_str()),
                    sexp(&b.expr)
                )
            })
            .collect();
        assert_eq!(shown, ["legal_status|Legal status|LS", "|Area|area", "|Sex|header.SEX", "band||b", "||team"]);
    }

    #[test]
    fn a_measure_takes_percentiles_sums_and_hidden() {
        let m = module(
            "measure p90 {\n  percentile 90 seconds_between(a, b) of incidents\n  hidden\n}\n\
             measure lost {\n  percent of handovers\n  numerator sum minutes_lost\n  denominator sum minutes\n}\n",
        );
        let ms: Vec<&Measure> = m.measures().collect();
        let ClauseKind::Aggregate { func, percentile, expr, source, .. } = &ms[0].clauses[0].kind else { panic!() };
        assert_eq!((func.node.as_str(), percentile.as_ref().map(|p| p.node)), ("percentile", Some(90.0)));
        assert_eq!((sexp(expr), source.node.as_str()), ("(seconds_between a b)".into(), "incidents"));
        assert!(matches!(ms[0].clauses[1].kind, ClauseKind::Hidden));
        let parts: Vec<(SumPart, String)> = ms[1]
            .clauses
            .iter()
            .filter_map(|c| match &c.kind {
                ClauseKind::SumPart { part, expr } => Some((*part, sexp(expr))),
                _ => None,
            })
            .collect();
        assert_eq!(parts, [(SumPart::Numerator, "minutes_lost".into()), (SumPart::Denominator, "minutes".into())]);
    }
}
