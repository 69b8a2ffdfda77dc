//! Errors, one enum per concern, each with the structured location an official or a
//! program needs (field path, file, line, column, parameter key, rule id).
//!
//! No error carries personal data: input values are never echoed, only field paths.

use std::fmt;

use serde::Serialize;

/// A household document that does not match the input contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValidationError {
    /// Field path such as `members[2].schooling.enrolled` (empty for the whole document).
    pub path: String,
    /// What is wrong, without echoing the value.
    pub message: String,
}

impl ValidationError {
    /// A new error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError { path: path.into(), message: message.into() }
    }
}

/// A rules directory (scripts, parameters, manifest) that cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[non_exhaustive]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RulesError {
    /// A file is missing or unreadable.
    #[error("{file}: {message}")]
    Io {
        /// File path relative to the rules directory.
        file: String,
        /// The operating-system message.
        message: String,
    },
    /// A rhai script does not compile.
    #[error("{file}:{line}:{column}: syntax error: {message}")]
    Syntax {
        /// Script file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A script compiles but its rule table or entry points are wrong.
    #[error("{file}: {message}")]
    Script {
        /// Script file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A parameter or manifest file is malformed.
    #[error("{file}: {key}: {message}")]
    Params {
        /// Parameter file.
        file: String,
        /// Dotted key, e.g. `poverty_line.values[3].from`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Several loading problems, reported together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct RulesErrors(pub Vec<RulesError>);

impl fmt::Display for RulesErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<RulesError> for RulesErrors {
    fn from(e: RulesError) -> Self {
        RulesErrors(vec![e])
    }
}

/// Removes input values that serde quotes in its messages (`string "…"`, ``variant `…` ``),
/// so that a name typed into the wrong field can never leak through an error.
pub(crate) fn redact(message: &str) -> String {
    const MARKERS: [(&str, char); 4] =
        [("string \"", '"'), ("variant `", '`'), ("integer `", '`'), ("floating point `", '`')];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((start, marker, close)) = MARKERS
        .iter()
        .filter_map(|&(m, c)| rest.find(m).map(|i| (i, m, c)))
        .min_by_key(|&(i, _, _)| i)
    {
        out.push_str(&rest[..start + marker.len()]);
        out.push('…');
        let after = &rest[start + marker.len()..];
        match after.find(close) {
            Some(end) => {
                out.push(close);
                rest = &after[end + close.len_utf8()..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn quoted_values_are_removed() {
        assert_eq!(
            redact("invalid type: string \"张三\", expected u32"),
            "invalid type: string \"…\", expected u32"
        );
        assert_eq!(
            redact("unknown variant `13800138000`, expected one of `head`, `spouse`"),
            "unknown variant `…`, expected one of `head`, `spouse`"
        );
        assert_eq!(redact("invalid value: integer `13800138000`, expected u32"), "invalid value: integer `…`, expected u32");
        assert_eq!(redact("missing field `relation`"), "missing field `relation`");
    }
}
