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
        ExprKind::Path { qualifier: Some(q), name } => format!("{}.{}", q.node, name.node),
        ExprKind::Path { qualifier: None, name } => name.node.clone(),
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
        ExprKind::Paren(inner) => format!("({})", flat(inner)),
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
    let one_line = flat(e);
    if col + one_line.chars().count() <= WIDTH {
        return one_line;
    }
    match &e.kind {
        ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), .. } => {
            let mut parts = Vec::new();
            chain(e, *op, &mut parts);
            let sym = op.symbol();
            let mut out = expr(parts[0], indent + 2, col);
            for p in &parts[1..] {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push_str(sym);
                out.push(' ');
                out.push_str(&expr(p, indent + 2, indent + sym.len() + 1));
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
            out.push_str(&expr(c, indent + 4, indent + 8));
            out
        }
        ExprKind::Unary { op: UnaryOp::Not, expr: inner } => format!("not {}", expr(inner, indent, col + 4)),
        _ => one_line,
    }
}
