//! A file sent in parts (over a vendor's upload limit) that stopped at one:
//! the one shape Office and Docutools say it in.

use std::fmt;

/// A file sent in parts that stopped at `part`: the parts before it **were
/// applied** (`applied` holds what they gave), the parts after it were not
/// sent, and `source` says what became of `part` itself (refused, not sent,
/// or applied without a readable answer).
#[derive(Debug)]
pub struct AppliedInPart<T, E> {
    /// What the parts applied gave, in order (Office: each part's creation;
    /// Docutools: the users they created).
    pub applied: Vec<T>,
    /// The part that did not complete, 1 for the first.
    pub part: usize,
    /// How many parts the file has.
    pub of: usize,
    /// What became of that part.
    pub source: Box<E>,
}

impl<T, E> fmt::Display for AppliedInPart<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let before: Vec<String> = (1..self.part).map(|part| part.to_string()).collect();
        write!(
            f,
            "part {} of {} did not complete (the cause says whether it was applied); \
             the parts before it were applied (applied: {}), the parts after it were not sent",
            self.part,
            self.of,
            before.join(", ")
        )
    }
}

impl<T: fmt::Debug, E: std::error::Error + 'static> std::error::Error for AppliedInPart<T, E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}
