//! One error type for the library, categorised by [`ErrorKind`]; the binary turns the
//! kind into an exit code. Errors keep their source and never name a command-line flag:
//! the caller knows which option or variable a value came from, and says so.

use std::path::PathBuf;

use crate::entra_error::EntraError;

/// A boxed source error.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value handed to the library is not valid: a tenant, an authority host, a
    /// redirect URI, a resource, an empty secret.
    #[error("{0}")]
    Invalid(String),
    /// A file could not be read (missing, not a regular file, over 1 MiB, not text).
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// What the file is, e.g. "the certificate".
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A certificate credential cannot be used.
    #[error(transparent)]
    Certificate(#[from] crate::credential::certificate::CertificateError),
    /// Any other local problem: the runtime, the redirect listener, TLS set-up, a file
    /// that could not be written.
    #[error("{message}")]
    Local {
        /// One line saying what failed.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Source>,
    },
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
    /// not JSON, too large or malformed, a 5xx after retries.
    #[error("{message}")]
    Transport {
        /// One line saying what failed.
        message: String,
        /// The `client-request-id` of the last attempt, when one was sent.
        client_request_id: Option<String>,
        /// Entra's error, when a 5xx carried one.
        entra: Option<Box<EntraError>>,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Source>,
    },
    /// An interactive sign-in did not complete: declined, expired, state mismatch,
    /// cancelled or timed out.
    #[error("{0}")]
    SignIn(String),
}

/// The category of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value given to the library is not valid (the binary: exit 2).
    Invalid,
    /// A local problem: a file, a certificate, the cache (exit 1).
    Local,
    /// Entra refused (exit 3).
    Refused,
    /// No usable answer (exit 4).
    Transport,
    /// The sign-in did not complete (exit 5).
    SignIn,
}

impl Error {
    /// The category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::Read { .. } | Self::Certificate(_) | Self::Local { .. } => ErrorKind::Local,
            Self::Refused { .. } => ErrorKind::Refused,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::SignIn(_) => ErrorKind::SignIn,
        }
    }

    /// Entra's evidence, for a refusal or a 5xx that carried some.
    pub fn entra(&self) -> Option<&EntraError> {
        match self {
            Self::Refused { entra, .. } => Some(entra),
            Self::Transport { entra, .. } => entra.as_deref(),
            _ => None,
        }
    }

    /// The `client-request-id` of the request that failed, when one was sent.
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            Self::Refused {
                client_request_id, ..
            }
            | Self::Transport {
                client_request_id, ..
            } => client_request_id.as_deref(),
            _ => None,
        }
    }

    /// A transport error without evidence.
    pub fn transport(message: impl Into<String>, client_request_id: Option<String>) -> Self {
        Self::Transport {
            message: message.into(),
            client_request_id,
            entra: None,
            source: None,
        }
    }

    /// A local error without a source.
    pub fn local(message: impl Into<String>) -> Self {
        Self::Local {
            message: message.into(),
            source: None,
        }
    }

    /// A local error with its source.
    pub fn local_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Local {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_variant() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let cases = [
            (Error::Invalid("x".into()), ErrorKind::Invalid),
            (
                Error::Read {
                    what: "the certificate",
                    path: "a.pem".into(),
                    source: io(),
                },
                ErrorKind::Local,
            ),
            (Error::local("x"), ErrorKind::Local),
            (
                Error::Refused {
                    what: "x",
                    entra: Box::new(EntraError::from_body(400, br#"{"error":"e"}"#).unwrap()),
                    client_request_id: None,
                },
                ErrorKind::Refused,
            ),
            (Error::transport("x", None), ErrorKind::Transport),
            (Error::SignIn("x".into()), ErrorKind::SignIn),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error:?}");
        }
    }

    #[test]
    fn a_read_error_keeps_its_source_and_names_the_file() {
        let e = Error::Read {
            what: "the certificate",
            path: "app.pem".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
        };
        assert_eq!(
            e.to_string(),
            "cannot read the certificate app.pem: No such file"
        );
        let source = std::error::Error::source(&e).unwrap();
        let io = source.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }
}
