//! Errors and verbose lines on stderr: one lower-case first line, indented evidence, at
//! most one `hint:`. Nothing here ever holds a secret: errors are built without them.
#![allow(clippy::print_stderr)]

use entra_token::Error;
use entra_token::inert::inert;

/// Formats an error for the terminal. `consent` is the `entra-token admin-consent` line
/// that would cure a consent refusal of this invocation, shown under the hint.
pub fn render(error: &Error, consent: Option<&str>) -> String {
    // Every part may hold a server's words: each is made inert before it is printed.
    let mut out = format!("entra-token: error: {}\n", inert(&error.to_string()));
    let mut ids = Vec::new();
    let mut hint = None;
    let mut what = "";
    let entra = match error {
        Error::Refused {
            entra,
            client_request_id,
            what: refused,
        } => {
            what = refused;
            ids.push(("client-request-id", client_request_id.clone()));
            Some(entra)
        }
        Error::Transport {
            entra,
            client_request_id,
            ..
        } => {
            ids.push(("client-request-id", client_request_id.clone()));
            entra.as_ref()
        }
        _ => None,
    };
    if let Some(entra) = entra {
        out.push_str(&format!("  {}\n", inert(&entra.summary())));
        let mut evidence = vec![format!("error {}", inert(&entra.error))];
        if let Some(s) = &entra.suberror {
            evidence.push(format!("suberror {}", inert(s)));
        }
        if entra.status != 0 {
            evidence.push(format!("HTTP {}", entra.status));
        }
        out.push_str(&format!("  {}\n", evidence.join("  ")));
        ids.insert(0, ("correlation id", entra.correlation_id.clone()));
        ids.insert(0, ("trace id", entra.trace_id.clone()));
        hint = entra.hint_for(what).map(|h| match consent {
            Some(line) if entra.needs_admin_consent() => format!("{h}:\n      {line}"),
            _ => h.to_owned(),
        });
    }
    let ids: Vec<String> = ids
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} {}", inert(&v))))
        .collect();
    if !ids.is_empty() {
        out.push_str(&format!("  {}\n", ids.join("  ")));
    }
    if let Some(hint) = hint {
        out.push_str(&format!("hint: {hint}\n      (see TROUBLESHOOTING.md)\n"));
    }
    out
}

/// Prints an error.
pub fn error(error: &Error, consent: Option<&str>) {
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
