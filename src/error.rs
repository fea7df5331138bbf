//! One error type for the library; the binary maps its [`ErrorKind`] to an exit code.

use crate::entra_error::EntraError;

/// What went wrong, categorised so that the edge can choose an exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A local problem: unreadable file, bad certificate or key, cache I/O.
    #[error("{0}")]
    Local(String),
    /// The invocation itself is wrong (a missing or conflicting option).
    #[error("{0}")]
    Usage(String),
    /// Entra answered with an OAuth2 error.
    #[error("Entra refused {what}")]
    Refused {
        /// What was refused, e.g. "the client credentials".
        what: &'static str,
        /// The evidence.
        entra: Box<EntraError>,
        /// The `client-request-id` sent with the request.
        client_request_id: Option<String>,
    },
    /// The request did not get a usable answer: DNS, connect, TLS, timeout, a body that is
    /// not JSON or is too large, a 5xx or 429 after retries.
    #[error("{message}")]
    Transport {
        /// One line saying what failed.
        message: String,
        /// The `client-request-id` of the last attempt, when one was sent.
        client_request_id: Option<String>,
        /// Entra's error, when a 5xx or 429 carried one.
        entra: Option<Box<EntraError>>,
    },
    /// An interactive sign-in did not complete: declined, expired, state mismatch,
    /// cancelled or timed out.
    #[error("{0}")]
    SignIn(String),
}

/// The category of an [`Error`]; exit codes 1 to 5 in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Exit 1.
    Local,
    /// Exit 2.
    Usage,
    /// Exit 3.
    Refused,
    /// Exit 4.
    Transport,
    /// Exit 5.
    SignIn,
}

impl Error {
    /// The category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Local(_) => ErrorKind::Local,
            Self::Usage(_) => ErrorKind::Usage,
            Self::Refused { .. } => ErrorKind::Refused,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::SignIn(_) => ErrorKind::SignIn,
        }
    }

    /// Shorthand for a transport error without evidence.
    pub fn transport(message: impl Into<String>, client_request_id: Option<String>) -> Self {
        Self::Transport {
            message: message.into(),
            client_request_id,
            entra: None,
        }
    }

    /// Shorthand for a local error.
    pub fn local(message: impl Into<String>) -> Self {
        Self::Local(message.into())
    }

    /// Shorthand for a usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

impl ErrorKind {
    /// The documented process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Local => 1,
            Self::Usage => 2,
            Self::Refused => 3,
            Self::Transport => 4,
            Self::SignIn => 5,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_the_documented_exit_codes() {
        let cases = [
            (Error::local("x"), 1),
            (Error::usage("x"), 2),
            (
                Error::Refused {
                    what: "x",
                    entra: Box::new(EntraError::from_body(400, br#"{"error":"e"}"#).unwrap()),
                    client_request_id: None,
                },
                3,
            ),
            (Error::transport("x", None), 4),
            (Error::SignIn("x".into()), 5),
        ];
        for (error, code) in cases {
            assert_eq!(error.kind().exit_code(), code, "{error:?}");
        }
    }
}
