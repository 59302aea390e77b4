//! Errors of a spec the build cannot use, located by file and JSON pointer.

use std::fmt;

/// A node of a spec and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeError {
    /// JSON pointer (RFC 6901) of the offending node, `""` for the root.
    pub pointer: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl NodeError {
    /// A new error at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// A spec the build cannot use: which file, where in it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec file, relative to the crate root.
    pub file: String,
    /// JSON pointer of the offending node, when one is known.
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl SpecError {
    /// Attaches a file to an error located in it.
    pub fn at(file: &str, node: NodeError) -> Self {
        Self {
            file: file.to_owned(),
            pointer: Some(node.pointer),
            message: node.message,
        }
    }

    /// An error about a whole file.
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            pointer: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pointer {
            Some(pointer) => write!(f, "{} at #{}: {}", self.file, pointer, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Escapes one reference token of a JSON pointer (`~` and `/`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Appends a token to a pointer.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}
