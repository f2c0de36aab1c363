//! Expressions and literals as the formatter writes them.

use super::WIDTH;
use crate::syntax::ast::*;

/// A string literal, quoted and escaped.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn quantity(q: &Quantity) -> String {
    format!("{}{}", q.text, if q.percent { "%" } else { "" })
}

pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Number(q) => quantity(q),
        Literal::String(s) => string(s),
        Literal::Date(d) => d.to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// An expression on one line.
pub fn flat(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(l) => literal(l),
        ExprKind::Path { qualifiers, name } => {
            qualifiers.iter().map(|q| format!("{}.", q.node)).chain([name.node.clone()]).collect()
        }
        ExprKind::Call { func, args } => {
            format!("{}({})", func.node, args.iter().map(flat).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Unary { op: UnaryOp::Not, expr } => format!("not {}", flat(expr)),
        ExprKind::Unary { op: UnaryOp::Neg, expr } => format!("-{}", flat(expr)),
        ExprKind::Binary { op, left, right } => {
            format!("{} {} {}", flat(left), op.symbol(), flat(right))
        }
        ExprKind::IsMissing { expr, negated } => {
            format!("{} is {}missing", flat(expr), if *negated { "not " } else { "" })
        }
        ExprKind::InList { expr, list, negated } => format!(
            "{} {}in ({})",
            flat(expr),
            if *negated { "not " } else { "" },
            list.iter().map(flat).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Exists { source, alias, condition } => {
            let mut s = format!("exists {}", source.node);
            if let Some(a) = alias {
                s.push_str(&format!(" as {}", a.node));
            }
            if let Some(c) = condition {
                s.push_str(&format!(" where {}", flat(c)));
            }
            s
        }
        ExprKind::Related(r) => {
            let mut s = related_head(&r.func, r.value.as_ref(), &r.source, r.alias.as_ref(), flat);
            if let Some(c) = &r.condition {
                s.push_str(&format!(" where {}", flat(c)));
            }
            s
        }
        ExprKind::Paren(inner) => format!("({})", flat(inner)),
    }
}

/// `count SOURCE [as ALIAS]` or `latest VALUE of SOURCE [as ALIAS]`, the value written by `value_text`.
fn related_head(
    func: &Ident,
    value: Option<&Expr>,
    source: &Ident,
    alias: Option<&Ident>,
    value_text: impl Fn(&Expr) -> String,
) -> String {
    let mut s = func.node.clone();
    if let Some(v) = value {
        s.push_str(&format!(" {} of", value_text(v)));
    }
    s.push_str(&format!(" {}", source.node));
    if let Some(a) = alias {
        s.push_str(&format!(" as {}", a.node));
    }
    s
}

/// The length of the last line of `text`.
fn last_line_len(text: &str) -> usize {
    text.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

/// The column after `text` when it is written starting at `col`.
fn after(text: &str, col: usize) -> usize {
    if text.contains('\n') {
        last_line_len(text)
    } else {
        col + text.chars().count()
    }
}

/// The operands of a chain of one logical operator, left to right.
fn chain<'e>(e: &'e Expr, op: BinaryOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary { op: o, left, right } if *o == op => {
            chain(left, op, out);
            out.push(right);
        }
        _ => out.push(e),
    }
}

/// An expression starting at column `col`; when it does not fit, `and`/`or` chains and
/// `exists ... where` break onto lines indented by `indent`.
pub fn expr(e: &Expr, indent: usize, col: usize) -> String {
    fitted(e, indent, col, 0)
}

/// An expression starting at column `col` that leaves `reserve` columns free after its last
/// line (for what follows it on that line: a closing bracket, an operator and its operand).
fn fitted(e: &Expr, indent: usize, col: usize, reserve: usize) -> String {
    let one_line = flat(e);
    if col + one_line.chars().count() + reserve <= WIDTH {
        return one_line;
    }
    match &e.kind {
        ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), .. } => {
            let mut parts = Vec::new();
            chain(e, *op, &mut parts);
            let sym = op.symbol();
            let last = parts.len() - 1;
            let mut out = fitted(parts[0], indent + 2, col, if last == 0 { reserve } else { 0 });
            for (i, p) in parts.iter().enumerate().skip(1) {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push_str(sym);
                out.push(' ');
                out.push_str(&fitted(p, indent + 2, indent + sym.len() + 1, if i == last { reserve } else { 0 }));
            }
            out
        }
        ExprKind::Exists { source, alias, condition: Some(c) } => {
            let mut out = format!("exists {}", source.node);
            if let Some(a) = alias {
                out.push_str(&format!(" as {}", a.node));
            }
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            out.push_str("where ");
            out.push_str(&fitted(c, indent + 4, indent + 8, reserve));
            out
        }
        ExprKind::Related(r) if r.condition.is_some() => {
            let c = r.condition.as_ref().expect("a condition");
            let head = related_head(&r.func, r.value.as_ref(), &r.source, r.alias.as_ref(), flat);
            let mut out = head;
            out.push('\n');
            out.push_str(&" ".repeat(indent + 2));
            out.push_str("where ");
            out.push_str(&fitted(c, indent + 4, indent + 8, reserve));
            out
        }
        ExprKind::Unary { op: UnaryOp::Not, expr: inner } => format!("not {}", fitted(inner, indent, col + 4, reserve)),
        // Inside brackets, continuation lines line up just inside the opening one.
        ExprKind::Paren(inner) => format!("({})", fitted(inner, col + 1, col + 1, reserve + 1)),
        // After an operand that takes several lines, the operator starts a line of its own,
        // lined up with the expression's start.
        ExprKind::Binary { op, left, right } => {
            let sym = format!(" {} ", op.symbol());
            let mut l = fitted(left, indent, col, 0);
            if !l.contains('\n') {
                let at = after(&l, col) + sym.len();
                let r = fitted(right, indent, at, reserve);
                if after(&r, at) + reserve <= WIDTH {
                    return format!("{l}{sym}{r}");
                }
                // The right operand cannot fit after the left: break the left instead, so
                // that the operator starts a line of its own.
                let broken = fitted(left, indent, col, sym.len() + flat(right).chars().count() + reserve);
                if !broken.contains('\n') {
                    return format!("{l}{sym}{r}");
                }
                l = broken;
            }
            let head = format!("\n{}{} ", " ".repeat(col), op.symbol());
            let r = fitted(right, col + op.symbol().len() + 1, col + op.symbol().len() + 1, reserve);
            format!("{l}{head}{r}")
        }
        // A list's values fill the line and continue under the first one.
        ExprKind::InList { expr: x, list, negated } => {
            let mut out = format!("{} {}in (", flat(x), if *negated { "not " } else { "" });
            let inner = col + out.chars().count();
            let last = list.len().saturating_sub(1);
            for (i, v) in list.iter().enumerate() {
                let text = flat(v);
                let room = if i == last { reserve + 1 } else { 1 };
                if i > 0 {
                    out.push(',');
                    if after(&out, col) + 1 + text.chars().count() + room > WIDTH {
                        out.push('\n');
                        out.push_str(&" ".repeat(inner));
                    } else {
                        out.push(' ');
                    }
                }
                out.push_str(&text);
            }
            out.push(')');
            out
        }
        // Arguments fill the line and continue under the first one.
        ExprKind::Call { func, args } => {
            let mut out = format!("{}(", func.node);
            let inner = col + out.len();
            // An argument after one that took several lines starts a line of its own.
            let mut previous_broke = false;
            let last = args.len().saturating_sub(1);
            for (i, a) in args.iter().enumerate() {
                // The last argument leaves room for the closing bracket, others for a comma.
                let room = if i == last { reserve + 1 } else { 1 };
                if i > 0 {
                    out.push(',');
                    let one_line = flat(a);
                    if previous_broke || after(&out, col) + 1 + one_line.chars().count() + room > WIDTH {
                        out.push('\n');
                        out.push_str(&" ".repeat(inner));
                    } else {
                        out.push(' ');
                    }
                }
                let here = after(&out, col);
                let text = fitted(a, inner, here, room);
                previous_broke = text.contains('\n');
                out.push_str(&text);
            }
            out.push(')');
            out
        }
        _ => one_line,
    }
}
