//! Typed errors of the library. Each names its input (file, rule, key) and says what to do
//! next, because the person reading it is usually a developer whose commit was just refused.
//!
//! None of them ever carries scanned content: an error message is printed verbatim.

use std::fmt;
use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from the library. Inspect [`Error::kind`] to branch on the cause.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong, with the names of the inputs involved.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A rule pack is not valid: bad TOML, unknown key, bad regex, unknown validator.
    Rules {
        /// The pack file (or `<builtin>/name.toml`).
        source: String,
        /// The rule id, when the error is inside one rule.
        rule: Option<String>,
        /// The offending key, when known.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A configuration file is not valid.
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong (includes line and key where the parser knows them).
        message: String,
    },
    /// A git repository could not be opened or read.
    Git {
        /// What phiguard was doing.
        context: String,
        /// libgit2's message.
        message: String,
    },
    /// A file or stream could not be read or written.
    Io {
        /// The path involved, or a description such as `<stdin>`.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command was used in a way that cannot work (e.g. a hook outside a repository).
    Usage(String),
    /// phiguard broke its own invariant (a worker thread panicked, a value it built does not
    /// encode): a bug to report, never the user's input. Hooks still fail closed on it.
    Internal(String),
    /// A server hook ran out of its time budget.
    Budget {
        /// The configured budget in milliseconds.
        budget_ms: u64,
    },
}

impl Error {
    /// The cause of this error.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn rules(source: impl Into<String>, message: impl Into<String>) -> Error {
        Error::from(ErrorKind::Rules {
            source: source.into(),
            rule: None,
            key: None,
            message: message.into(),
        })
    }

    pub(crate) fn rule(
        source: impl Into<String>,
        rule: impl Into<String>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        Error::from(ErrorKind::Rules {
            source: source.into(),
            rule: Some(rule.into()),
            key: key.map(str::to_owned),
            message: message.into(),
        })
    }

    pub(crate) fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::from(ErrorKind::Config {
            path: path.into(),
            message: message.into(),
        })
    }

    pub(crate) fn git(context: impl Into<String>, err: &git2::Error) -> Error {
        Error::from(ErrorKind::Git {
            context: context.into(),
            message: err.message().to_owned(),
        })
    }

    /// A git object that is present but damaged (e.g. a truncated loose object file).
    pub(crate) fn corrupt_object(context: impl Into<String>, id: git2::Oid) -> Error {
        Error::from(ErrorKind::Git {
            context: context.into(),
            message: format!(
                "object {id} is corrupt (its loose object file is truncated or damaged); \
                 `git fsck` shows the damage"
            ),
        })
    }

    /// A packed git object that could not be read (`why`: a damaged entry, not a blob, an
    /// I/O error), read by phiguard's own pack reader.
    pub(crate) fn packed_object(
        context: impl Into<String>,
        id: git2::Oid,
        why: impl std::fmt::Display,
    ) -> Error {
        Error::from(ErrorKind::Git {
            context: context.into(),
            message: format!("object {id} could not be read: {why}; `git fsck` shows any damage"),
        })
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Error {
        Error::from(ErrorKind::Io {
            path: path.into(),
            source,
        })
    }

    pub(crate) fn usage(message: impl Into<String>) -> Error {
        Error::from(ErrorKind::Usage(message.into()))
    }

    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::from(ErrorKind::Internal(message.into()))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error { kind }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Rules {
                source,
                rule,
                key,
                message,
            } => {
                write!(f, "rule pack {source}")?;
                if let Some(rule) = rule {
                    write!(f, ", rule {rule:?}")?;
                }
                if let Some(key) = key {
                    write!(f, ", key `{key}`")?;
                }
                write!(f, ": {message}")
            }
            ErrorKind::Config { path, message } => {
                write!(f, "config {}: {message}", path.display())
            }
            ErrorKind::Git { context, message } => write!(f, "git: {context}: {message}"),
            ErrorKind::Io { path, source } => write!(f, "{path}: {source}"),
            ErrorKind::Usage(message) | ErrorKind::Internal(message) => f.write_str(message),
            ErrorKind::Budget { budget_ms } => write!(
                f,
                "time budget of {budget_ms} ms exceeded before the scan finished; \
                 the push is rejected because phiguard fails closed \
                 (raise [server] budget_ms, or split the push)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
