//! Errors and verbose lines on stderr: one lower-case first line, indented evidence, at
//! most one `hint:`. The exit code comes from the library error found in the chain (or the
//! binary's own [`UsageError`]). Nothing here ever holds a secret: errors are built
//! without them, and server text is made inert before it is printed.
#![allow(clippy::print_stderr)]

use entra_token::credential::certificate::CertificateError;
use entra_token::inert::inert;
use entra_token::{Error, ErrorKind};

/// An invocation that cannot work as given: exit 2, like clap's own usage errors.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What to do, attached to an error as its context: shown as the `hint:` line, not in
/// the first line.
#[derive(Debug)]
pub struct Hint(pub String);

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Hint {}

/// Shorthand: a usage error as an `anyhow::Error`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// The library error in the chain, if any.
pub fn library_error(error: &anyhow::Error) -> Option<&Error> {
    error.chain().find_map(|e| e.downcast_ref::<Error>())
}

/// The documented exit code: 2 for usage, else from the library error's kind, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|e| e.is::<UsageError>()) {
        return 2;
    }
    match library_error(error).map(Error::kind) {
        Some(ErrorKind::Invalid) => 2,
        Some(ErrorKind::Refused) => 3,
        Some(ErrorKind::Transport) => 4,
        Some(ErrorKind::SignIn) => 5,
        _ => 1,
    }
}

/// The option a value the library names came from.
fn option_for(what: &str) -> Option<&'static str> {
    match what {
        entra_token::transport::CA_FILE => Some("--ca-file"),
        _ => None,
    }
}

/// The hint attached to an error, if any.
fn attached_hint(error: &anyhow::Error) -> Option<&Hint> {
    error.downcast_ref::<Hint>()
}

/// The first line: each message of the chain once, joined by ": ", with the library's
/// names of values replaced by the options they came from.
fn headline(error: &anyhow::Error) -> String {
    let hint = attached_hint(error).map(|h| h.0.as_str());
    let mut line = String::new();
    if let Some(Error::Read { what, path, source }) = library_error(error)
        && let Some(option) = option_for(what)
    {
        return format!("cannot read {option} {}: {source}", path.display());
    }
    for cause in error.chain() {
        if cause.is::<Hint>() || Some(cause.to_string().as_str()) == hint {
            continue;
        }
        let mut text = cause.to_string();
        if let Some(rest) = text.strip_prefix(entra_token::transport::CA_FILE) {
            text = format!("--ca-file{rest}");
        }
        if matches!(cause.downcast_ref::<Error>(), Some(Error::Transport { .. }))
            && text.starts_with("no answer from ")
        {
            text.push_str(" (--timeout)");
        }
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Formats an error for the terminal. `consent` is the `entra-token admin-consent` line
/// that would cure a consent refusal of this invocation, shown under the hint.
pub fn render(error: &anyhow::Error, consent: Option<&str>) -> String {
    // Every part may hold a server's words: each is made inert before it is printed.
    let mut out = format!("entra-token: error: {}\n", inert(&headline(error)));
    let library = library_error(error);
    let mut hint: Option<String> = None;
    let mut ids = Vec::new();
    if let Some(entra) = library.and_then(Error::entra) {
        out.push_str(&format!("  {}\n", inert(&entra.summary())));
        let mut evidence = vec![format!("error {}", inert(&entra.error))];
        if let Some(s) = &entra.suberror {
            evidence.push(format!("suberror {}", inert(s)));
        }
        if entra.status != 0 {
            evidence.push(format!("HTTP {}", entra.status));
        }
        out.push_str(&format!("  {}\n", evidence.join("  ")));
        ids.push(("trace id", entra.trace_id.clone()));
        ids.push(("correlation id", entra.correlation_id.clone()));
        let what = match library {
            Some(Error::Refused { what, .. }) => what,
            _ => "",
        };
        hint = entra.hint_for(what).map(|h| match consent {
            Some(line) if entra.needs_admin_consent() => {
                format!("{h}:\n      {line}\n      (see TROUBLESHOOTING.md)")
            }
            _ => format!("{h}\n      (see TROUBLESHOOTING.md)"),
        });
    }
    if let Some(crid) = library.and_then(Error::client_request_id) {
        ids.push(("client-request-id", Some(crid.to_owned())));
    }
    let ids: Vec<String> = ids
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} {}", inert(&v))))
        .collect();
    if !ids.is_empty() {
        out.push_str(&format!("  {}\n", ids.join("  ")));
    }
    if let Some(Error::Certificate(c)) = library {
        hint = certificate_hint(c).map(str::to_owned);
    }
    if let Some(Error::Transport { message, .. }) = library
        && hint.is_none()
    {
        hint = transport_hint(message).map(str::to_owned);
    }
    if let Some(h) = attached_hint(error) {
        hint = Some(h.0.clone());
    }
    if let Some(hint) = hint {
        out.push_str(&format!("hint: {hint}\n"));
    }
    out
}

/// What to do about a request that got no usable answer.
fn transport_hint(message: &str) -> Option<&'static str> {
    if message.contains("UnknownIssuer") || message.contains("invalid peer certificate") {
        Some(
            "the server's certificate is not trusted: behind a TLS-inspecting proxy or with a private CA, pass its certificate with --ca-file PATH",
        )
    } else if message.contains("text/html") {
        Some(
            "something other than Entra answered (a proxy or captive-portal sign-in page?); check HTTPS_PROXY/NO_PROXY and --authority-host",
        )
    } else if message.starts_with("no answer from ") {
        Some(
            "check the network, or HTTPS_PROXY/NO_PROXY; raise --timeout if Entra is slow to reach from here",
        )
    } else {
        None
    }
}

/// What to do about a certificate that cannot be used, naming the options.
fn certificate_hint(error: &CertificateError) -> Option<&'static str> {
    match error {
        CertificateError::WrongPassword { .. } | CertificateError::NeedsPassword { .. } => {
            Some("set AZURE_CLIENT_CERTIFICATE_PASSWORD or pass --certificate-password-file PATH")
        }
        CertificateError::NoKey { .. } => {
            Some("add the key to the file or pass --private-key PATH")
        }
        CertificateError::EncryptedKey { .. } => Some(
            "decrypt it (openssl pkey -in KEY -out KEY.pem) or use a PFX with --certificate-password-file",
        ),
        _ => None,
    }
}

/// Prints an error.
pub fn error(error: &anyhow::Error, consent: Option<&str>) {
    eprint!("{}", render(error, consent));
}

/// Prints a warning line.
pub fn warn(message: &str) {
    eprintln!("entra-token: warning: {}", inert(message));
}

/// Prints an informational line.
pub fn note(message: &str) {
    eprintln!("entra-token: {message}");
}

/// Prints a verbose (`-v`) line; callers pass redacted text only.
pub fn verbose(line: &str) {
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_the_chain() {
        let e = anyhow::Error::new(Error::SignIn("x".into())).context("while signing in");
        assert_eq!(exit_code(&e), 5);
        assert_eq!(exit_code(&usage("bad")), 2);
        assert_eq!(exit_code(&anyhow::anyhow!("other")), 1);
        let e = anyhow::Error::new(Error::Invalid("x".into()));
        assert_eq!(exit_code(&e), 2);
    }

    #[test]
    fn the_headline_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let e = anyhow::Error::new(Error::Read {
            what: "the certificate",
            path: "a.pem".into(),
            source: io,
        });
        assert_eq!(
            render(&e, None),
            "entra-token: error: cannot read the certificate a.pem: No such file\n"
        );
        let e = anyhow::Error::new(std::io::Error::other("gone"))
            .context("cannot read --client-secret-file s");
        assert_eq!(
            render(&e, None),
            "entra-token: error: cannot read --client-secret-file s: gone\n"
        );
    }
}
