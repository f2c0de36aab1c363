//! `fmt`: one canonical layout for rule files. Comments are kept: each one is attached to
//! the line it was written on (trailing) or to the next line of code (leading). Formatting is
//! idempotent and never changes what a file means (the tests check both).

mod exprs;

use crate::span::Span;
use crate::syntax::ast::*;
use exprs::{expr, literal, quantity, string};

/// Lines longer than this are broken where the layout allows.
pub const WIDTH: usize = 100;
/// A source block's entries are indented by this.
const SOURCE_INDENT: usize = 2;

#[derive(Debug)]
enum Line {
    Code { indent: usize, text: String, trailing: Option<String> },
    Comment { indent: usize, text: String },
    Blank,
}

struct Formatter<'a> {
    source: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    lines: Vec<Line>,
}

/// Formats one parsed file. `source` is the text it was parsed from.
pub fn format_module(module: &Module, source: &str) -> String {
    let mut f = Formatter { source, comments: &module.comments, next_comment: 0, lines: Vec::new() };
    for (i, item) in module.items.iter().enumerate() {
        if i > 0 {
            f.blank();
        }
        f.leading(item.span.start, 0);
        match &item.kind {
            ItemKind::Source(s) => f.source_decl(s, item.span),
            ItemKind::Population(p) => {
                let mut text = format!("population {} from {}", p.name.node, p.source.node);
                if let Some(filter) = &p.filter {
                    text.push_str(" where ");
                    text.push_str(&expr(filter, 4, text.len()));
                }
                f.code(0, text, item.span);
            }
            ItemKind::Reference(r) => {
                let mut text = format!("reference {} from {}", r.name.node, r.source.node);
                if let Some(filter) = &r.filter {
                    text.push_str(" where ");
                    text.push_str(&expr(filter, 4, text.len()));
                }
                f.code(0, text, item.span);
            }
            ItemKind::Standard(s) => {
                f.open(0, format!("standard {} {{", s.name.node), s.name.span);
                for (j, band) in s.bands.iter().enumerate() {
                    f.leading(band.label.span.start, 2);
                    let comma = if j + 1 < s.bands.len() { "," } else { "" };
                    let text = format!("{} {}{comma}", string(&band.label.node), band.weight.node);
                    f.code(2, text, Span::new(band.label.span.file, band.label.span.start, band.weight.span.end));
                }
                let close = Span::new(item.span.file, item.span.end.saturating_sub(1), item.span.end);
                f.close(0, close);
            }
            ItemKind::Calendar(c) => {
                let mut text = format!("calendar {} = weekdays", c.name.node);
                if let Some(h) = &c.holidays {
                    text.push_str(&format!(" except holidays({})", string(&h.node)));
                }
                f.code(0, text, item.span);
            }
            ItemKind::Theme(t) => {
                f.open(0, format!("theme {} {{", string(&t.name.node)), t.name.span);
                for (j, m) in t.measures.iter().enumerate() {
                    if j > 0 {
                        f.blank();
                    }
                    f.leading(m.span.start, 2);
                    f.measure(m, 2);
                }
                f.close(0, t.close);
            }
            ItemKind::Measure(m) => f.measure(m, 0),
            ItemKind::Test(t) => f.test_block(t),
        }
    }
    f.leading(source.len() + 1, 0);
    f.render()
}

impl Formatter<'_> {
    fn blank(&mut self) {
        if !matches!(self.lines.last(), None | Some(Line::Blank)) {
            self.lines.push(Line::Blank);
        }
    }

    /// Own-line comments before `pos`, at `indent`; a blank line after a comment stays.
    fn leading(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos {
                break;
            }
            self.next_comment += 1;
            self.lines.push(Line::Comment { indent, text: c.text.clone() });
            let len = self.source.len();
            let next =
                self.comments.get(self.next_comment).map(|n| n.span.start).filter(|&s| s < pos).unwrap_or(pos).min(len);
            let gap = &self.source[c.span.end.min(next)..next];
            if gap.matches('\n').count() >= 2 {
                self.blank();
            }
        }
    }

    /// A comment on the same source line as the end of `span`.
    fn trailing(&mut self, span: Span) -> Option<String> {
        let c = self.comments.get(self.next_comment)?;
        let end = span.end.min(self.source.len());
        let between = &self.source[end.min(c.span.start)..c.span.start];
        if c.span.start < end || between.contains('\n') || !between.trim().is_empty() {
            return None;
        }
        self.next_comment += 1;
        Some(c.text.clone())
    }

    fn code(&mut self, indent: usize, text: String, span: Span) {
        let trailing = self.trailing(span);
        self.lines.push(Line::Code { indent, text, trailing });
    }

    /// A line opening a block; a comment after `{` trails it.
    fn open(&mut self, indent: usize, text: String, upto: Span) {
        let brace = self.source[upto.end..].find('{').map_or(upto.end, |i| upto.end + i + 1);
        self.code(indent, text, Span::new(upto.file, upto.start, brace));
    }

    fn close(&mut self, indent: usize, close: Span) {
        self.leading(close.start, indent + 2);
        if let Some(Line::Blank) = self.lines.last() {
            self.lines.pop();
        }
        self.code(indent, "}".into(), close);
    }

    fn source_decl(&mut self, s: &SourceDecl, span: Span) {
        let mut head = format!("source {}", s.name.node);
        if let Some(d) = &s.description {
            head.push(' ');
            head.push_str(&string(&d.node));
        }
        if let Some(subset) = &s.subset {
            // A subset: its parent on the first line, each filter on a line of its own, and its
            // named values in braces opened at the end of the last of those lines.
            head.push_str(&format!(" from {}", subset.parent.node));
            let block = !s.entries.is_empty();
            let mut lines = vec![(0, head, subset.parent.span)];
            for f in &subset.filters {
                let keyword = if f.excluding { "excluding " } else { "where " };
                let text = format!("{keyword}{}", expr(&f.condition, 2 + keyword.len(), 2 + keyword.len()));
                lines.push((2, text, f.span));
            }
            if let Some(m) = &subset.merge {
                lines.push((2, format!("merge spans by {}", m.by.node), m.span));
            }
            let last = lines.len() - 1;
            for (i, (indent, text, at)) in lines.into_iter().enumerate() {
                self.leading(at.start, indent);
                if block && i == last {
                    self.open(indent, format!("{text} {{"), at);
                } else {
                    self.code(indent, text, at);
                }
            }
            if block {
                for e in &s.entries {
                    self.leading(e.span.start, 2);
                    let text = source_entry(&e.kind, 0, 0);
                    self.code(2, text, e.span);
                }
                self.close(0, Span::new(span.file, span.end.saturating_sub(1), span.end));
            }
            return;
        }
        head.push_str(" {");
        let upto = s.description.as_ref().map_or(s.name.span, |d| d.span);
        self.open(0, head, upto);
        let name_w = column_widths(s, |c| c.name.node.len());
        let type_w = column_widths(s, |c| c.ty.node.len() + usize::from(c.optional));
        for e in &s.entries {
            self.leading(e.span.start, 2);
            let text = source_entry(&e.kind, name_w, type_w);
            self.code(2, text, e.span);
        }
        self.close(0, Span::new(span.file, span.end.saturating_sub(1), span.end));
    }

    fn measure(&mut self, m: &Measure, indent: usize) {
        self.open(indent, format!("measure {} {{", m.name.node), m.name.span);
        let inner = indent + 2;
        let width = m.clauses.iter().filter_map(|c| padded_keyword(&c.kind)).map(str::len).max().unwrap_or(0);
        for c in &m.clauses {
            self.leading(c.span.start, inner);
            let text = clause(&c.kind, inner, width);
            self.code(inner, text, c.span);
        }
        for v in &m.versions {
            self.leading(v.span.start, inner);
            let head = format!("version {} from {} {} {{", v.number.node, v.from.node, string(&v.note.node));
            self.open(inner, head, v.note.span);
            let width = v.clauses.iter().filter_map(|c| padded_keyword(&c.kind)).map(str::len).max().unwrap_or(0);
            for c in &v.clauses {
                self.leading(c.span.start, inner + 2);
                let text = clause(&c.kind, inner + 2, width);
                self.code(inner + 2, text, c.span);
            }
            self.close(inner, v.close);
        }
        self.close(indent, m.close);
    }

    fn test_block(&mut self, t: &TestBlock) {
        self.open(0, format!("test {} {{", string(&t.name.node)), t.name.span);
        for e in &t.entries {
            self.leading(e.span.start, 2);
            match &e.kind {
                TestEntryKind::GivenFile { source, path } => {
                    self.code(2, format!("given {} from {}", source.node, string(&path.node)), e.span)
                }
                TestEntryKind::AsOf(d) => self.code(2, format!("as of {}", d.node), e.span),
                TestEntryKind::Expect(x) => self.code(2, expectation(x), e.span),
                TestEntryKind::GivenTable { source, table } => {
                    self.open(2, format!("given {} {{", source.node), source.span);
                    let header: Vec<String> = table.header.iter().map(|h| header_cell(&h.node)).collect();
                    let rows: Vec<Vec<String>> =
                        table.rows.iter().map(|r| r.cells.iter().map(cell).collect()).collect();
                    let columns = header.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
                    let widths: Vec<usize> = (0..columns)
                        .map(|i| {
                            let h = header.get(i).map_or(0, |s| s.chars().count());
                            rows.iter().filter_map(|r| r.get(i)).map(|s| s.chars().count()).max().unwrap_or(0).max(h)
                        })
                        .collect();
                    self.leading(table.header_span.start, 4);
                    self.code(4, table_line(&header, &widths), table.header_span);
                    for (row, cells) in table.rows.iter().zip(&rows) {
                        self.leading(row.span.start, 4);
                        self.code(4, table_line(cells, &widths), row.span);
                    }
                    let close = Span::new(e.span.file, e.span.end.saturating_sub(1), e.span.end);
                    self.close(2, close);
                }
            }
        }
        self.close(0, t.close);
    }

    fn render(self) -> String {
        // Trailing comments line up within a run of code lines at one indent.
        let mut out = String::new();
        let lines = self.lines;
        let mut i = 0;
        while i < lines.len() {
            let run_end = match &lines[i] {
                Line::Code { indent, .. } => {
                    let mut j = i;
                    while let Some(Line::Code { indent: k, text, .. }) = lines.get(j) {
                        if k != indent || text.ends_with('{') || text == "}" {
                            break;
                        }
                        j += 1;
                    }
                    j.max(i + 1)
                }
                _ => i + 1,
            };
            let column = lines[i..run_end]
                .iter()
                .filter_map(|l| match l {
                    Line::Code { indent, text, trailing: Some(_) } if !text.contains('\n') => {
                        Some(indent + text.chars().count())
                    }
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for line in &lines[i..run_end] {
                match line {
                    Line::Blank => out.push('\n'),
                    Line::Comment { indent, text } => {
                        out.push_str(&" ".repeat(*indent));
                        out.push('#');
                        out.push_str(text.trim_end());
                        out.push('\n');
                    }
                    Line::Code { indent, text, trailing } => {
                        let full = format!("{}{}", " ".repeat(*indent), text);
                        out.push_str(&full);
                        if let Some(c) = trailing {
                            let last_len = full.rsplit('\n').next().map_or(0, |l| l.chars().count());
                            let pad = if text.contains('\n') { 2 } else { column.saturating_sub(last_len) + 2 };
                            out.push_str(&" ".repeat(pad));
                            out.push('#');
                            out.push_str(c.trim_end());
                        }
                        out.push('\n');
                    }
                }
            }
            i = run_end;
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }
}

/// A clause in canonical form on one line (`meeting working_days(start_date, completed_date) <= 10`),
/// for comparing and quoting clauses.
pub fn clause_line(c: &ClauseKind) -> String {
    one_line(&clause(c, 0, 0))
}

/// What a source declares, each part keyed by what it declares (a column's or named value's
/// name, `lookup SOURCE`, `spans`, `from`, `where`) and in canonical form on one line.
pub fn source_lines(s: &SourceDecl) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(subset) = &s.subset {
        out.push(("from".to_string(), format!("from {}", subset.parent.node)));
        for f in &subset.filters {
            let keyword = if f.excluding { "excluding" } else { "where" };
            out.push((keyword.to_string(), one_line(&format!("{keyword} {}", expr(&f.condition, 0, 0)))));
        }
        if let Some(m) = &subset.merge {
            out.push(("merge".to_string(), format!("merge spans by {}", m.by.node)));
        }
    }
    for e in &s.entries {
        let key = match &e.kind {
            SourceEntryKind::Column(c) => c.name.node.clone(),
            SourceEntryKind::Let { name, .. } => format!("let {}", name.node),
            SourceEntryKind::Lookup { source, .. } => format!("lookup {}", source.node),
            SourceEntryKind::Spans { .. } => "spans".to_string(),
            SourceEntryKind::Snapshot(_) => "snapshot".to_string(),
            SourceEntryKind::Adjacent { name, .. } => name.node.clone(),
        };
        out.push((key, one_line(&source_entry(&e.kind, 0, 0))));
    }
    out
}

/// Text laid out over lines (and padded into columns), on one line: every run of spaces and
/// line breaks outside a string one space.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped, mut space) = (false, false, false);
    for c in text.trim().chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        in_string = c == '"';
        out.push(c);
    }
    out
}

/// One entry of a source block; columns padded to the block's name and type widths.
fn source_entry(kind: &SourceEntryKind, name_w: usize, type_w: usize) -> String {
    match kind {
        SourceEntryKind::Column(c) => {
            let ty = format!("{}{}", c.ty.node, if c.optional { "?" } else { "" });
            let mut line = format!("{:name_w$}  {:type_w$}", c.name.node, ty);
            for o in &c.options {
                line.push_str("  ");
                line.push_str(&column_option(o));
            }
            let line = line.trim_end_matches(' ').to_string();
            if SOURCE_INDENT + line.chars().count() <= WIDTH {
                return line;
            }
            // Too wide: a map's entries one to a line, under its first.
            let mut line = format!("{:name_w$}  {:type_w$}", c.name.node, ty);
            for o in &c.options {
                line.push_str("  ");
                match &o.kind {
                    ColumnOptionKind::Map(entries) => {
                        line.push_str("map ");
                        let under = " ".repeat(SOURCE_INDENT + line.chars().count());
                        let entries: Vec<String> = entries.iter().map(map_entry).collect();
                        line.push_str(&entries.join(&format!(",\n{under}")));
                    }
                    _ => line.push_str(&column_option(o)),
                }
            }
            line.trim_end_matches(' ').to_string()
        }
        SourceEntryKind::Spans { start, end } => format!("spans {} .. {}", start.node, end.node),
        SourceEntryKind::Snapshot(c) => format!("snapshot at {}", c.node),
        SourceEntryKind::Lookup { source, by } => format!("lookup {} by {}", source.node, by.node),
        SourceEntryKind::Let { name, expr: e } => {
            let head = format!("let {} = ", name.node);
            format!("{head}{}", expr(e, SOURCE_INDENT + 4, SOURCE_INDENT + head.len()))
        }
        SourceEntryKind::Adjacent { next, name, by, order } => {
            format!("{} {} by {} order by {}", if *next { "next" } else { "previous" }, name.node, by.node, order.node)
        }
    }
}

fn column_widths(s: &SourceDecl, f: impl Fn(&ColumnDecl) -> usize) -> usize {
    s.entries
        .iter()
        .filter_map(|e| match &e.kind {
            SourceEntryKind::Column(c) => Some(f(c)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

fn column_option(o: &ColumnOption) -> String {
    match &o.kind {
        ColumnOptionKind::Key => "key".into(),
        ColumnOptionKind::Header(h) => format!("from {}", string(&h.node)),
        ColumnOptionKind::Format(f) => format!("format {}", string(&f.node)),
        ColumnOptionKind::Missing(codes) => {
            format!("missing {}", codes.iter().map(|c| string(&c.node)).collect::<Vec<_>>().join(", "))
        }
        ColumnOptionKind::Map(entries) => {
            format!("map {}", entries.iter().map(map_entry).collect::<Vec<_>>().join(", "))
        }
    }
}

fn map_entry(e: &MapEntry) -> String {
    format!("{} -> {}", string(&e.from.node), literal(&e.to))
}

/// Clauses whose keyword is followed by a value line up their values.
fn padded_keyword(c: &ClauseKind) -> Option<&'static str> {
    match c {
        ClauseKind::Ref(_)
        | ClauseKind::Title(_)
        | ClauseKind::Description(_)
        | ClauseKind::Theme(_)
        | ClauseKind::Unit(_)
        | ClauseKind::Precision(_)
        | ClauseKind::Where(_)
        | ClauseKind::Excluding(_)
        | ClauseKind::Meeting(_)
        | ClauseKind::Cumulative(_)
        | ClauseKind::By(_)
        | ClauseKind::Polarity(_)
        | ClauseKind::Target { .. }
        | ClauseKind::Interval { .. }
        | ClauseKind::Rag(_)
        | ClauseKind::Benchmark(_) => Some(c.keyword()),
        _ => None,
    }
}

fn per(p: &PerSpec) -> String {
    let mut text = format!("per {} {}", p.per.node, p.population.node);
    if let Some(s) = &p.standardised {
        text.push_str(&format!(" standardised by {} using {}", s.by.node, s.standard.node));
    }
    text
}

/// A title or description starting at column `col`: one string when it fits, else strings
/// one after another, broken after a space and lined up under the first.
fn long_string(text: &str, col: usize) -> String {
    if col + string(text).chars().count() <= WIDTH {
        return string(text);
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        let longer = format!("{current}{word}");
        if !current.is_empty() && col + string(&longer).chars().count() > WIDTH {
            pieces.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = longer;
        }
    }
    pieces.push(current);
    pieces.iter().map(|p| string(p)).collect::<Vec<_>>().join(&format!("\n{}", " ".repeat(col)))
}

fn clause(c: &ClauseKind, indent: usize, width: usize) -> String {
    let keyed = |rest: &dyn Fn(usize) -> String| {
        let kw = c.keyword();
        let value_col = indent + width + 1;
        format!("{kw:width$} {}", rest(value_col))
    };
    match c {
        ClauseKind::Title(s) | ClauseKind::Description(s) => keyed(&|col| long_string(&s.node, col)),
        ClauseKind::Ref(s) | ClauseKind::Theme(s) => keyed(&|_| string(&s.node)),
        ClauseKind::Unit(u) | ClauseKind::Polarity(u) => keyed(&|_| u.node.clone()),
        ClauseKind::Precision(p) => keyed(&|_| p.node.to_string()),
        ClauseKind::Count { distinct, source } => match distinct {
            Some(d) => format!("count distinct {} from {}", d.node, source.node),
            None => format!("count {}", source.node),
        },
        ClauseKind::Percent { distinct, source } => match distinct {
            Some(d) => format!("percent of distinct {} from {}", d.node, source.node),
            None => format!("percent of {}", source.node),
        },
        ClauseKind::RateOf { measure, per: p } => format!("rate of {} {}", measure.node, per(p)),
        ClauseKind::Ratio { source } => format!("ratio of {}", source.node),
        ClauseKind::SumPart { part, expr: e } => {
            let head = match part {
                SumPart::Numerator => "numerator sum ",
                SumPart::Denominator => "denominator sum ",
            };
            format!("{head}{}", expr(e, indent + 4, indent + head.len()))
        }
        ClauseKind::Hidden => "hidden".into(),
        ClauseKind::Aggregate { func, percentile, expr: e, distinct, source } => {
            let head = match percentile {
                Some(p) => format!("percentile {} ", p.node),
                None => format!("{} ", func.node),
            };
            let of = match distinct {
                Some(d) => format!("distinct {} from {}", d.node, source.node),
                None => source.node.clone(),
            };
            let value = expr(e, indent + 4, indent + head.len());
            // After a value of several lines, or when the whole is too long, `of ...` starts a
            // line of its own.
            let one_line = indent + head.len() + value.chars().count() + 4 + of.chars().count();
            if value.contains('\n') || one_line > WIDTH {
                format!("{head}{value}\n{}of {of}", " ".repeat(indent + 2))
            } else {
                format!("{head}{value} of {of}")
            }
        }
        ClauseKind::Calculate(e) => format!("calculate {}", expr(e, indent + 4, indent + 10)),
        ClauseKind::InPeriod(col) => format!("in period by {}", col.node),
        ClauseKind::OpenAtPeriodEnd => "open at period end".into(),
        ClauseKind::OpenDuringPeriod => "open during period".into(),
        ClauseKind::LatestSnapshot { months } if months.is_empty() => "latest snapshot".into(),
        ClauseKind::LatestSnapshot { months } => {
            let names: Vec<&str> = months.iter().map(|m| m.node.as_str()).collect();
            format!("latest snapshot of {}", names.join(", "))
        }
        ClauseKind::FirstPer(e) => format!("first per {}", e.node),
        ClauseKind::Funnel { by, overdispersed } => {
            format!("funnel by {}{}", by.node, if overdispersed.is_some() { " overdispersed" } else { "" })
        }
        ClauseKind::ReportedBy(y) => format!("reported by {} year", y.node),
        ClauseKind::FollowUp { months, then } => match then {
            Some(t) => format!("follow up {} months then {} months", months.node, t.node),
            None => format!("follow up {} months", months.node),
        },
        ClauseKind::Where(e) | ClauseKind::Excluding(e) | ClauseKind::Meeting(e) => keyed(&|col| expr(e, col, col)),
        ClauseKind::Per(p) => per(p),
        ClauseKind::Expected { population, reference, scale } => {
            let scale = match scale {
                ExpectedScale::Ratio(None) => String::new(),
                ExpectedScale::Ratio(Some(n)) => format!(" times {}", n.node),
                ExpectedScale::Rate(n) => format!(" per {}", n.node),
            };
            format!("expected of {} at {} rates{scale}", population.node, reference.node)
        }
        ClauseKind::Cumulative(w) => keyed(&|_| match w {
            WindowSpec::FromYearStart { fy } => format!("from {} start", if *fy { "fy" } else { "year" }),
            WindowSpec::Since(d) => format!("since {}", d.node),
        }),
        ClauseKind::By(items) => keyed(&|col| {
            let parts: Vec<String> = items
                .iter()
                .map(|b| {
                    let label = b.label.as_ref().map(|l| format!(" {}", string(&l.node))).unwrap_or_default();
                    match &b.name {
                        Some(n) => {
                            let head = format!("{}{label} = ", n.node);
                            format!("{head}{}", expr(&b.expr, col + 2, col + head.len()))
                        }
                        None => format!("{}{label}", expr(&b.expr, col + 2, col)),
                    }
                })
                .collect();
            list(&parts, col)
        }),
        ClauseKind::Interval { method, level } => keyed(&|_| {
            let mut parts: Vec<String> = method.iter().map(|m| m.node.clone()).collect();
            parts.extend(level.iter().map(|l| format!("at {}", quantity(l))));
            parts.join(" ")
        }),
        ClauseKind::Target { figure, per_year } => {
            keyed(&|_| format!("{}{}", quantity(figure), if *per_year { " per year" } else { "" }))
        }
        ClauseKind::Rag(rules) => keyed(&|col| {
            let parts: Vec<String> = rules
                .iter()
                .map(|r| match &r.condition {
                    None => format!("otherwise {}", r.colour.node),
                    Some(e) => format!("{} when {}", r.colour.node, expr(e, col + 4, col + r.colour.node.len() + 6)),
                })
                .collect();
            list(&parts, col)
        }),
        ClauseKind::Benchmark(items) => keyed(&|col| {
            items
                .iter()
                .map(|b| match &b.kind {
                    BenchmarkKind::Figure { of, figure } => {
                        format!("{} {}", of.node, quantity(figure))
                    }
                    BenchmarkKind::Method(m) => format!("sn {}", m.node),
                    BenchmarkKind::Published { source, column, filter, per: p } => {
                        let mut s = format!("published {}.{}", source.node, column.node);
                        if let Some(f) = filter {
                            s.push_str(" where ");
                            s.push_str(&expr(f, col + 4, col + s.len()));
                        }
                        if let Some(p) = p {
                            s.push(' ');
                            s.push_str(&per(p));
                        }
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        }),
    }
}

/// A comma-separated list starting at `col`: on one line when it fits, else an item a line.
fn list(parts: &[String], col: usize) -> String {
    let flat = parts.join(", ");
    if col + flat.len() <= WIDTH && !flat.contains('\n') {
        flat
    } else {
        parts.join(&format!(",\n{}", " ".repeat(col)))
    }
}

/// A header name as a cell: bare when it reads back as itself, else quoted (`"|"`).
fn header_cell(name: &str) -> String {
    let bare = !name.is_empty()
        && !name.starts_with([' ', '\t'])
        && !name.ends_with([' ', '\t'])
        && !name.chars().any(|c| matches!(c, '|' | '#' | '"' | '}' | '\r' | '\n'));
    if bare {
        name.to_string()
    } else {
        string(name)
    }
}

fn cell(c: &Cell) -> String {
    match (&c.text, c.quoted) {
        (None, _) => String::new(),
        (Some(t), true) => string(t),
        (Some(t), false) => t.clone(),
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            line.push_str(" | ");
        }
        line.push_str(c);
        let w = widths.get(i).copied().unwrap_or(0);
        line.push_str(&" ".repeat(w.saturating_sub(c.chars().count())));
    }
    // A row whose first cell is empty must still start with a cell the parser sees.
    line.trim_end_matches(' ').to_string()
}

fn expectation(x: &Expectation) -> String {
    let period = match &x.period.kind {
        PeriodSelectorKind::Year { label } => format!("year {label}"),
        PeriodSelectorKind::Quarter { label, quarter } => format!("quarter {label} {quarter}"),
        PeriodSelectorKind::Month { label } => format!("month {label}"),
        PeriodSelectorKind::Ytd => "ytd".into(),
    };
    let version = x.version.as_ref().map(|v| format!(" version {}", v.node)).unwrap_or_default();
    let mut s = format!("expect {}{version} for {period}", x.measure.node);
    if let Some((col, value)) = &x.breakdown {
        let value = match &value.node {
            None => "missing".to_string(),
            Some(v) => {
                let needs_quotes = v.is_empty()
                    || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    || v.starts_with(|c: char| c.is_ascii_digit())
                    || v == "missing";
                if needs_quotes {
                    string(v)
                } else {
                    v.clone()
                }
            }
        };
        s.push_str(&format!(" by {} {value}", col.node));
    }
    if let Some(f) = &x.field {
        s.push(' ');
        s.push_str(&f.node);
    }
    s.push_str(" = ");
    s.push_str(&match &x.value.kind {
        ExpectedValueKind::Missing => "missing".into(),
        ExpectedValueKind::Number(q) => quantity(q),
        ExpectedValueKind::Text(t) => string(t),
        ExpectedValueKind::Word(w) => w.clone(),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::format_module;
    use crate::span::FileId;

    fn formatted(text: &str) -> String {
        let m = crate::syntax::parse(FileId(0), text).unwrap_or_else(|d| panic!("{text}\n{d:#?}"));
        format_module(&m, text)
    }

    #[test]
    fn the_canonical_layout_of_each_form() {
        let cases = [
            // Clause values aligned one column past the longest keyword; operators spaced.
            (
                "measure m {\nref \"1\"\ncount referrals\nwhere a=1 and(b<2)\npolarity low\n}\n",
                "measure m {\n  ref      \"1\"\n  count referrals\n  where    a = 1 and (b < 2)\n  polarity low\n}\n",
            ),
            // Columns in a table: names, types and options each in a column; comments kept.
            (
                "source s {\nid text key\nlong_name date? # when\n}\n",
                "source s {\n  id         text   key\n  long_name  date?  # when\n}\n",
            ),
            // Named values and adjacent rows keep their words.
            (
                "source r {\nid text key\nc text\nd date\nlet  y=add_months(d,12)\nprevious  e by c order by d\n}\n",
                "source r {\n  id  text  key\n  c   text\n  d   date\n  let y = add_months(d, 12)\n  previous e by c order by d\n}\n",
            ),
            // The latest snapshots of named months.
            (
                "measure m {\nref \"1\"\ncount r\nlatest  snapshot  of  december ,january\n}\n",
                "measure m {\n  ref \"1\"\n  count r\n  latest snapshot of december, january\n}\n",
            ),
            // A breakdown's label after its name, or after a plain column.
            (
                "measure m {\nref \"1\"\ncount r\nby  age_band  \"Age band\"=band(a,\"x\",1,\"y\"),area \"Area\"\n}\n",
                "measure m {\n  ref \"1\"\n  count r\n  by  age_band \"Age band\" = band(a, \"x\", 1, \"y\"), area \"Area\"\n}\n",
            ),
            // A measure's own reporting year.
            (
                "measure m {\nref \"1\"\ncount r\nreported  by  academic  year\n}\n",
                "measure m {\n  ref \"1\"\n  count r\n  reported by academic year\n}\n",
            ),
            // A cohort's clauses.
            (
                "measure m {\nref \"1\"\ncount r\nin period by d\nfirst  per  e\nfollow up 12 months  then 6 months\n}\n",
                "measure m {\n  ref \"1\"\n  count r\n  in period by d\n  first per e\n  follow up 12 months then 6 months\n}\n",
            ),
            // Spans merged: the clause on a line of its own, after the subset's conditions.
            (
                "source s from t where a = 1 merge  spans  by  f\n",
                "source s from t\n  where a = 1\n  merge spans by f\n",
            ),
            // The reporting year's start, as it was written; tests' periods in every calendar.
            (
                "measure m {\nref \"1\"\ncount r\ncumulative  from  year  start\n}\nmeasure n {\nref \"2\"\ncount r\ncumulative from fy start\n}\n",
                "measure m {\n  ref        \"1\"\n  count r\n  cumulative from year start\n}\n\nmeasure n {\n  ref        \"2\"\n  count r\n  cumulative from fy start\n}\n",
            ),
            (
                "test \"t\" {\nas of 2013-09-30\nexpect m for year 2012 = 1\nexpect m for quarter 2013/14 Q1 = 1\n}\n",
                "test \"t\" {\n  as of 2013-09-30\n  expect m for year 2012 = 1\n  expect m for quarter 2013/14 Q1 = 1\n}\n",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(formatted(text), expected, "{text}");
            assert_eq!(formatted(expected), expected, "not a fixed point: {expected}");
        }
    }

    /// Clauses and source entries on one line, for quoting: runs of spaces outside strings one.
    #[test]
    fn clauses_and_entries_on_one_line() {
        assert_eq!(
            super::one_line("referral_date  date?  missing \"a  b\"\n   \"c\\\"  d\""),
            "referral_date date? missing \"a  b\" \"c\\\"  d\""
        );
        let m = crate::syntax::parse(FileId(0), "source s {\n  d  date?  format \"dd/mm/yyyy\"\n}\n").unwrap();
        let crate::syntax::ast::ItemKind::Source(s) = &m.items[0].kind else { panic!() };
        assert_eq!(super::source_lines(s), [("d".to_string(), "d date? format \"dd/mm/yyyy\"".to_string())]);
    }

    /// A map too wide for a line: one entry to a line, under the first, every line within
    /// 100 columns; a short map stays on its line.
    #[test]
    fn a_wide_map_has_one_entry_to_a_line() {
        let entries: Vec<String> = (1..=30).map(|i| format!("\"{i:02}\" -> \"Band {i}\"")).collect();
        let text = format!("source s {{\nid text key\nband text map {}\n}}\n", entries.join(", "));
        let out = formatted(&text);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[2], "  band  text  map \"01\" -> \"Band 1\",");
        assert_eq!(lines[3], "                  \"02\" -> \"Band 2\",");
        assert_eq!(lines[31], "                  \"30\" -> \"Band 30\"");
        assert_eq!(lines.len(), 33);
        assert!(lines.iter().all(|l| l.chars().count() <= 100));
        assert_eq!(formatted(&out), out, "a fixed point");
        let short = "source s {\n  id    text  key\n  band  text  map \"1\" -> \"One\", \"2\" -> \"Two\"\n}\n";
        assert_eq!(formatted(short), short);
    }

    /// A long condition: its `and` chain broken, and a list too long for its line filling the
    /// line and going on under its first value, every line within 100 columns.
    #[test]
    fn a_long_condition_keeps_within_the_width() {
        let values: Vec<String> = [
            "assessment",
            "no further action",
            "signposted",
            "early help",
            "strategy discussion",
            "section 47 enquiry",
            "child protection conference",
        ]
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect();
        let text = format!(
            "measure m {{\nref \"1\"\ncount r\nwhere outcome in ({}) and source_of_referral not in (\"police\", \"school\", \"health visitor\", \"gp\") and child_age >= 5\n}}\n",
            values.join(", ")
        );
        let out = formatted(&text);
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[3].starts_with("  where outcome in (\"assessment\", "), "{out}");
        // The list's next line starts under its first value.
        let under = lines[3].find("\"assessment").unwrap();
        assert_eq!(lines[4].find('"'), Some(under), "{out}");
        assert!(
            out.contains(
                "\n        and source_of_referral not in (\"police\", \"school\", \"health visitor\", \"gp\")\n"
            ),
            "{out}"
        );
        assert_eq!(formatted(&out), out, "a fixed point");
    }
}
