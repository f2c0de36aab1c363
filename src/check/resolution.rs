//! The names a project's files write, as the checker resolved them: each occurrence's span,
//! what it names, and whether it is the definition. Check builds it while it resolves names
//! into the IR (whether or not the project has errors); the editor's hover, go to definition,
//! find references and completion read it, and resolve nothing again.

use crate::span::{FileId, Span};
use std::collections::HashMap;

/// What a name refers to. Columns are named by the table holding them (a subset's are its
/// parent's).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Source(String),
    Column {
        table: String,
        name: String,
    },
    Population(String),
    Measure(String),
    /// An alias of `exists` or an aggregate over related rows: known only inside it.
    Alias {
        file: FileId,
        at: usize,
        name: String,
        source: String,
    },
    Function(String),
    /// A named value (`let name = ...`) of the source declaring it.
    Named {
        source: String,
        name: String,
    },
    /// An adjacent row (`previous name by ...`) of a table's rows.
    Adjacent {
        table: String,
        name: String,
    },
}

/// One place a name is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub span: Span,
    pub target: Target,
    pub definition: bool,
}

/// Every name check resolved, in file order.
#[derive(Debug, Default)]
pub struct Resolutions {
    pub occurrences: Vec<Occurrence>,
    /// Subset -> the table its rows are taken from (through other subsets).
    tables: HashMap<String, String>,
}

impl Resolutions {
    pub(super) fn add(&mut self, span: Span, target: Target, definition: bool) {
        self.occurrences.push(Occurrence { span, target, definition });
    }

    pub(super) fn add_table(&mut self, subset: &str, table: &str) {
        self.tables.insert(subset.to_string(), table.to_string());
    }

    /// In file order, each once (a measure's versions check its clauses more than once).
    pub(super) fn finish(mut self) -> Resolutions {
        let key = |o: &Occurrence| (o.span.file, o.span.start, o.span.end, o.target.clone(), o.definition);
        self.occurrences.sort_by_key(key);
        self.occurrences.dedup_by_key(|o| key(o));
        self
    }

    /// The table holding a source's rows: itself, or for a subset the table it is taken from.
    pub fn table_of(&self, source: &str) -> String {
        self.tables.get(source).cloned().unwrap_or_else(|| source.to_string())
    }

    /// The innermost name written at a byte offset (its end included, where a cursor sits
    /// after typing it).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    pub fn definition(&self, target: &Target) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.definition && o.target == *target)
    }

    pub fn references<'a>(&'a self, target: &'a Target) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| o.target == *target)
    }
}

#[cfg(test)]
mod tests {
    use super::Target;
    use crate::project::check_texts;

    const RULES: &str = r#"source referrals {
  referral_id    text  key
  child_id       text
  referral_date  date
  let referred_on = referral_date
}

source repeats from referrals where child_id is not missing

measure repeat_share {
  ref "3.2"
  percent of repeats
  in period by referred_on
  meeting exists referrals as earlier
            where earlier.child_id = child_id
              and earlier.referral_date < period_end
}

measure broken {
  ref "9"
  count referrals
  where no_such = 1 and child_id = "a" and days_between(no_date, referral_date) > 1
}
"#;

    /// What each written name resolves to, as `(text, target, definition)`.
    fn resolved() -> Vec<(String, Target, bool)> {
        let (files, checked) = check_texts(&[("rules.ind", RULES)]);
        checked
            .resolutions
            .occurrences
            .iter()
            .map(|o| (files.text(o.span).to_string(), o.target.clone(), o.definition))
            .collect()
    }

    #[test]
    fn every_name_resolves_once_to_what_it_names() {
        let all = resolved();
        let of = |text: &str| -> Vec<(Target, bool)> {
            all.iter().filter(|(t, ..)| t == text).map(|(_, target, d)| (target.clone(), *d)).collect()
        };
        let column = |name: &str| Target::Column { table: "referrals".into(), name: name.into() };
        // The subset's row names its parent's columns, and its named value is its parent's.
        assert_eq!(
            of("referred_on"),
            [
                (Target::Named { source: "referrals".into(), name: "referred_on".into() }, true),
                (Target::Named { source: "referrals".into(), name: "referred_on".into() }, false),
            ]
        );
        assert_eq!(
            of("repeats"),
            [(Target::Source("repeats".into()), true), (Target::Source("repeats".into()), false)]
        );
        let alias = Target::Alias {
            file: crate::span::FileId(0),
            at: RULES.find("earlier\n").unwrap(),
            name: "earlier".into(),
            source: "referrals".into(),
        };
        assert_eq!(of("earlier"), [(alias.clone(), true), (alias.clone(), false), (alias, false)]);
        // `child_id`: its declaration, the subset's filter, the alias's column, the row's own,
        // and the broken measure's, whose other name does not resolve.
        assert_eq!(of("child_id").len(), 5);
        assert!(of("child_id").iter().all(|(t, _)| *t == column("child_id")));
        assert_eq!(of("child_id").iter().filter(|(_, d)| *d).count(), 1);
        // The period's end is no column; an unknown name resolves to nothing.
        assert!(of("period_end").is_empty() && of("no_such").is_empty());
        // A call's other arguments resolve when one does not.
        assert_eq!(of("referral_date").len(), 4, "{:?}", of("referral_date"));
        assert_eq!(of("broken"), [(Target::Measure("broken".into()), true)]);
    }
}
