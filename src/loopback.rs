//! The one-shot redirect listener of `auth-code`: on 127.0.0.1, it accepts `/` and the
//! registered path, ignores stray requests (`/favicon.ico`, preconnects), checks `state`,
//! answers the browser with a short page, and hands back the code.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// How long one browser connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// What a redirect carried.
#[derive(Debug)]
pub enum Redirect {
    /// `code` and `state`.
    Code { code: Secret, state: Option<String> },
    /// `error`, `error_description` and `state`.
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// Reads `code`/`error` and `state` from a query string; `None` if it has neither.
pub fn parse_query(query: &str) -> Option<Redirect> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(error) = error {
        return Some(Redirect::Error {
            error,
            description,
            state,
        });
    }
    code.filter(|c| !c.is_empty()).map(|c| Redirect::Code {
        code: Secret::new(c),
        state,
    })
}

/// Checks a redirect against the expected state and returns the code, or the error that
/// ends the sign-in (exit 5).
pub fn accept(redirect: Redirect, expected_state: &str, state_required: bool) -> Result<Secret> {
    match redirect {
        Redirect::Error {
            error, description, ..
        } => {
            let first = description
                .as_deref()
                .and_then(|d| d.lines().next())
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            Err(Error::SignIn(format!("sign-in failed: {error}{first}")))
        }
        Redirect::Code { code, state } => match state {
            Some(s) if s == expected_state => Ok(code),
            None if !state_required => Ok(code),
            _ => Err(Error::SignIn(
                "state mismatch: the redirect does not belong to this sign-in (refused, as it may be forged)".into(),
            )),
        },
    }
}

/// A bound listener.
pub struct Listener {
    inner: std::net::TcpListener,
    port: u16,
}

impl Listener {
    /// Binds 127.0.0.1:`port` (0 = any free port).
    pub fn bind(port: u16) -> Result<Self> {
        let inner = std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
            Error::local(format!(
                "cannot listen on 127.0.0.1:{port} for the sign-in redirect: {e}"
            ))
        })?;
        let port = inner
            .local_addr()
            .map_err(|e| Error::local(format!("cannot read the listener address: {e}")))?
            .port();
        inner
            .set_nonblocking(true)
            .map_err(|e| Error::local(format!("cannot set up the listener: {e}")))?;
        Ok(Self { inner, port })
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a redirect to `path` (or `/`) arrives with a code or an error; stray
    /// requests get a 404 and are ignored. The sign-in timeout is the caller's.
    pub async fn wait(self, path: &str, expected_state: &str) -> Result<Secret> {
        let listener = tokio::net::TcpListener::from_std(self.inner)
            .map_err(|e| Error::local(format!("cannot set up the listener: {e}")))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Result<Secret>>();
        let ctx = Arc::new((path.to_owned(), expected_state.to_owned()));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let tx = tx.clone();
                    let ctx = ctx.clone();
                    tokio::spawn(async move {
                        if let Some(outcome) = serve(stream, &ctx.0, &ctx.1).await {
                            let _ = tx.send(outcome);
                        }
                    });
                }
                Some(outcome) = rx.recv() => return outcome,
            }
        }
    }
}

async fn serve(mut stream: TcpStream, path: &str, expected_state: &str) -> Option<Result<Secret>> {
    let target = tokio::time::timeout(REQUEST_TIMEOUT, read_target(&mut stream))
        .await
        .ok()
        .flatten()?;
    let (req_path, query) = target.split_once('?').unwrap_or((&target, ""));
    if req_path != path && req_path != "/" {
        respond(&mut stream, 404, "Not found", "Nothing here.").await;
        return None;
    }
    let Some(redirect) = parse_query(query) else {
        respond(
            &mut stream,
            400,
            "Waiting for sign-in",
            "This page expects the sign-in redirect.",
        )
        .await;
        return None;
    };
    let outcome = accept(redirect, expected_state, true);
    match &outcome {
        Ok(_) => {
            respond(
                &mut stream,
                200,
                "Signed in",
                "Sign-in complete. You can close this window and return to the terminal.",
            )
            .await
        }
        Err(e) => {
            respond(
                &mut stream,
                400,
                "Sign-in failed",
                &format!("{e}. Return to the terminal for details."),
            )
            .await
        }
    }
    Some(outcome)
}

/// Reads a request head and returns its target, or `None` if it is not a GET request.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                return (req.method == Some("GET")).then(|| req.path.map(str::to_owned))?;
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            _ => return None,
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>entra-token: {title}</title></head><body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(text)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_with_matching_state_is_accepted() {
        let r = parse_query("code=C0DE&state=abc&session_state=x").unwrap();
        assert_eq!(accept(r, "abc", true).unwrap().expose(), "C0DE");
    }

    #[test]
    fn state_mismatch_or_missing_state_is_refused() {
        let r = parse_query("code=C&state=evil").unwrap();
        let e = accept(r, "abc", true).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::SignIn);
        assert!(e.to_string().starts_with("state mismatch"));
        let r = parse_query("code=C").unwrap();
        assert!(accept(r, "abc", true).is_err());
        let r = parse_query("code=C").unwrap();
        assert!(
            accept(r, "abc", false).is_ok(),
            "a pasted bare code has no state"
        );
    }

    #[test]
    fn error_redirect_becomes_a_sign_in_error_with_the_first_line() {
        let r = parse_query("error=access_denied&error_description=AADSTS65004%3A+User+declined.%0D%0ATrace+ID%3A+x&state=abc").unwrap();
        let e = accept(r, "abc", true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sign-in failed: access_denied: AADSTS65004: User declined."
        );
    }

    #[test]
    fn queries_without_code_or_error_are_not_redirects() {
        assert!(parse_query("").is_none());
        assert!(parse_query("foo=bar").is_none());
        assert!(parse_query("code=").is_none());
    }

    #[test]
    fn the_page_escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
