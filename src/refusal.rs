//! A request scorebook will not carry out as asked, because of what the user asked or gave
//! (a measure that does not exist, a dialect that cannot write an interval, a scheduler that
//! does not answer): what is wrong and what to do about it, as two fields, so the command
//! line, Python and the editor can each show the help their own way.
//!
//! Broken invariants are not refusals: they are `CompileError::Internal` and
//! `RunError::Internal`, whose text says that scorebook has a bug.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What cannot be done, and why.
    pub message: String,
    /// What the user can do about it.
    pub help: Option<String>,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Self {
        Refusal { message: message.into(), help: None }
    }

    pub fn help(self, help: impl Into<String>) -> Self {
        Refusal { help: Some(help.into()), ..self }
    }
}

/// The message, and the help on its own indented line, as the command line prints it.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.help {
            Some(help) => write!(f, "\n  help: {help}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for Refusal {}

#[cfg(test)]
mod tests {
    use super::Refusal;

    #[test]
    fn shows_the_help_on_its_own_line() {
        assert_eq!(Refusal::new("no such thing").to_string(), "no such thing");
        let r = Refusal::new("no such thing").help("ask for another");
        assert_eq!(r.to_string(), "no such thing\n  help: ask for another");
        assert_eq!(r.help.as_deref(), Some("ask for another"));
    }
}
