//! The browser's way back: the one-shot redirect listener of `auth-code` and
//! `admin-consent`, and the pasted-address path for redirect URIs it cannot serve.
//!
//! The listener binds the loopback address of the redirect URI (127.0.0.1 for
//! `localhost`, `[::1]` for `[::1]`), accepts `/` and the registered path, ignores stray
//! requests (`/favicon.ico`, preconnects) and redirects that do not carry this sign-in's
//! `state` as their `error=`, and hands back a [`Redirect`] whose `state` has been checked.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use url::Url;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// How long one browser connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// The largest pasted line read from stdin or a terminal.
pub const MAX_PASTED: usize = 1024 * 1024;

/// What a redirect carried.
#[derive(Debug)]
pub enum Redirect {
    /// `code` and `state`: an authorization code (also v1 `prompt=admin_consent`).
    Code {
        /// The authorization code.
        code: Secret,
        /// `state`, absent for a pasted bare code.
        state: Option<String>,
    },
    /// `admin_consent=True`, `tenant` and `state`: the v2 admin consent endpoint's answer.
    Consent {
        /// The directory that consented.
        tenant: Option<String>,
        /// `state`.
        state: Option<String>,
    },
    /// `error`, `error_description` and `state`.
    Error {
        /// The OAuth2 `error`.
        error: String,
        /// `error_description` (AADSTS code, message, trace and correlation ids).
        description: Option<String>,
        /// `state`.
        state: Option<String>,
    },
}

impl Redirect {
    fn state(&self) -> Option<&str> {
        match self {
            Self::Code { state, .. } | Self::Consent { state, .. } | Self::Error { state, .. } => {
                state.as_deref()
            }
        }
    }

    /// The authorization code, or the error that ends an `auth-code` sign-in (exit 5).
    pub fn into_code(self) -> Result<Secret> {
        match self {
            Self::Code { code, .. } => Ok(code),
            Self::Error {
                error, description, ..
            } => {
                let first = description
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                Err(Error::SignIn(format!("sign-in failed: {error}{first}")))
            }
            Self::Consent { .. } => Err(Error::SignIn(
                "the redirect carries an admin consent, not an authorization code".into(),
            )),
        }
    }
}

/// Reads `code`, `admin_consent`/`tenant`, `error` and `state` from a query string;
/// `None` if it carries none of them. An `error` wins over everything else.
pub fn parse_query(query: &str) -> Option<Redirect> {
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    let mut consent = false;
    let mut tenant = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            "admin_consent" => consent = v.eq_ignore_ascii_case("true"),
            "tenant" => tenant = Some(v.into_owned()).filter(|t| !t.is_empty()),
            _ => {}
        }
    }
    if let Some(error) = error.filter(|e| !e.is_empty()) {
        return Some(Redirect::Error {
            error,
            description,
            state,
        });
    }
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        return Some(Redirect::Code {
            code: Secret::new(code),
            state,
        });
    }
    consent.then_some(Redirect::Consent { tenant, state })
}

/// The refusal of a redirect whose `state` is not this sign-in's (exit 5).
fn state_mismatch() -> Error {
    Error::SignIn(
        "state mismatch: the redirect does not belong to this sign-in (refused, as it may be forged)"
            .into(),
    )
}

/// Checks `state`. A pasted bare code (no `state` at all, and `bare` set) is the one
/// redirect accepted without it.
pub fn check_state(redirect: Redirect, expected_state: &str, bare: bool) -> Result<Redirect> {
    match redirect.state() {
        Some(s) if s == expected_state => Ok(redirect),
        None if bare && matches!(redirect, Redirect::Code { .. }) => Ok(redirect),
        _ => Err(state_mismatch()),
    }
}

/// Takes the redirect from what the user pasted: the whole final address (query or
/// fragment) or the bare code. A pasted address's `state` must match.
pub fn parse_pasted(input: &str, expected_state: &str) -> Result<Redirect> {
    let text = input.trim();
    if text.is_empty() {
        return Err(Error::SignIn(
            "nothing was pasted; sign-in cancelled".into(),
        ));
    }
    let query = text
        .split_once('?')
        .map(|(_, q)| q)
        .or_else(|| text.split_once('#').map(|(_, f)| f));
    let looks_like_query = query.is_some()
        || ["code=", "error=", "admin_consent="]
            .iter()
            .any(|k| text.contains(k));
    if looks_like_query {
        let q = query.unwrap_or(text);
        let q = q.split('#').next().unwrap_or(q);
        let redirect = parse_query(q).ok_or_else(|| {
            Error::SignIn(
                "the pasted address carries neither a code, a consent nor an error".into(),
            )
        })?;
        return check_state(redirect, expected_state, false);
    }
    if text.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(Error::SignIn(
            "the pasted text is neither the redirect address nor a code".into(),
        ));
    }
    Ok(Redirect::Code {
        code: Secret::new(text),
        state: None,
    })
}

/// Where the redirect comes back: to the listener, or pasted by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectPlan {
    /// A loopback `http` redirect URI served by [`Listener`].
    Loopback {
        /// The address to listen on: 127.0.0.1 for `localhost`, the literal otherwise.
        ip: IpAddr,
        /// The port; 0 means any free port, inserted into the URI once bound.
        port: u16,
        /// The path accepted besides `/`.
        path: String,
        /// The redirect URI as given (or `http://localhost`).
        uri: String,
    },
    /// Any other redirect URI (nativeclient, `urn:ietf:wg:oauth:2.0:oob`): the user
    /// pastes the final address.
    Paste {
        /// The redirect URI.
        uri: String,
    },
}

impl RedirectPlan {
    /// Chooses how the redirect comes back from `redirect_uri` (default
    /// `http://localhost`) and an optional listener `port`, which must agree with a port
    /// in the URI. Port 0 is refused: the URI would name a port nobody listens on.
    pub fn new(redirect_uri: Option<&str>, port: Option<u16>) -> Result<Self> {
        let uri = redirect_uri.unwrap_or("http://localhost").trim().to_owned();
        let parsed = Url::parse(&uri);
        let Some(ip) = parsed.as_ref().ok().and_then(loopback_ip) else {
            if parsed.is_err() && !uri.starts_with("urn:") {
                return Err(Error::Invalid(format!(
                    "the redirect URI '{uri}' is not a URI"
                )));
            }
            return Ok(Self::Paste { uri });
        };
        let url = parsed.map_err(|e| Error::Invalid(format!("'{uri}' is not a URI: {e}")))?;
        let in_uri = explicit_port(&uri, &url);
        if in_uri == Some(0) || port == Some(0) {
            return Err(Error::Invalid(format!(
                "the redirect URI '{uri}' names port 0: name a real port, or leave it out for any free one"
            )));
        }
        let port = match (in_uri, port) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::Invalid(format!(
                    "the listener port {b} disagrees with the port in the redirect URI '{uri}'"
                )));
            }
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => 0,
        };
        Ok(Self::Loopback {
            ip,
            port,
            path: url.path().to_owned(),
            uri,
        })
    }
}

/// The address a loopback redirect URI is served on, or `None` for other URIs.
fn loopback_ip(url: &Url) -> Option<IpAddr> {
    if url.scheme() != "http" {
        return None;
    }
    crate::authority::loopback_ip(url.host_str()?)
}

/// The port written in the URI, including a default one (`http://localhost:80`), which
/// `Url::port` hides.
fn explicit_port(text: &str, url: &Url) -> Option<u16> {
    if let Some(p) = url.port() {
        return Some(p);
    }
    let rest = text.split_once("://").map_or(text, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let after_host = authority.rsplit_once(']').map_or(authority, |(_, a)| a);
    after_host
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
}

/// Inserts `:port` after the host of a loopback URI that names none.
pub fn with_port(uri: &str, port: u16) -> String {
    let scheme_end = uri.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &uri[scheme_end..];
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    format!(
        "{}{}:{port}{}",
        &uri[..scheme_end],
        &rest[..host_end],
        &rest[host_end..]
    )
}

/// A bound listener.
pub struct Listener {
    inner: std::net::TcpListener,
    port: u16,
}

impl Listener {
    /// Binds `ip:port` (port 0 = any free port).
    pub fn bind(ip: IpAddr, port: u16) -> Result<Self> {
        let shown = std::net::SocketAddr::new(ip, port);
        let inner = std::net::TcpListener::bind(shown).map_err(|e| {
            Error::local(format!(
                "cannot listen on {shown} for the sign-in redirect: {e}"
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

    /// Serves until a redirect to `path` (or `/`) arrives with this sign-in's `state`, or
    /// a code or consent arrives with another (a state mismatch ends the sign-in). Stray
    /// requests, and `error=` redirects without the right `state`, are answered and
    /// ignored. The sign-in timeout is the caller's.
    pub async fn wait(self, path: &str, expected_state: &str) -> Result<Redirect> {
        let listener = tokio::net::TcpListener::from_std(self.inner)
            .map_err(|e| Error::local(format!("cannot set up the listener: {e}")))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Result<Redirect>>();
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

async fn serve(
    mut stream: TcpStream,
    path: &str,
    expected_state: &str,
) -> Option<Result<Redirect>> {
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
    if matches!(redirect, Redirect::Error { .. }) && redirect.state() != Some(expected_state) {
        // Anyone on this machine can send an error; only Entra knows the state.
        respond(
            &mut stream,
            400,
            "Ignored",
            "This error does not belong to the sign-in in progress, which goes on.",
        )
        .await;
        return None;
    }
    let outcome = check_state(redirect, expected_state, false);
    match &outcome {
        Ok(Redirect::Code { .. }) => {
            respond(
                &mut stream,
                200,
                "Signed in",
                "Sign-in complete. You can close this window and return to the terminal.",
            )
            .await
        }
        Ok(Redirect::Consent { .. }) => {
            respond(
                &mut stream,
                200,
                "Consent granted",
                "Admin consent granted. You can close this window and return to the terminal.",
            )
            .await
        }
        Ok(Redirect::Error {
            error, description, ..
        }) => {
            let first = description
                .as_deref()
                .and_then(|d| d.lines().next())
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            respond(
                &mut stream,
                400,
                "Sign-in failed",
                &format!("{error}{first}. Return to the terminal for details."),
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

/// Reads one line of at most [`MAX_PASTED`] bytes from `reader` (the pasted address);
/// a longer line, or endless input such as `/dev/zero`, is refused.
pub async fn read_pasted_line<R: tokio::io::AsyncRead + Unpin>(reader: R) -> Result<String> {
    use tokio::io::AsyncBufReadExt;
    let limit = u64::try_from(MAX_PASTED).unwrap_or(u64::MAX) + 1;
    let mut buf = Vec::new();
    tokio::io::BufReader::new(reader.take(limit))
        .read_until(b'\n', &mut buf)
        .await
        .map_err(|e| Error::local(format!("cannot read the pasted address from stdin: {e}")))?;
    if buf.len() > MAX_PASTED {
        return Err(Error::local(format!(
            "the pasted input is longer than {} KiB without a line end; refused",
            MAX_PASTED / 1024
        )));
    }
    String::from_utf8(buf)
        .map_err(|_| Error::local("the pasted address is not UTF-8 text".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn code(r: Result<Redirect>) -> String {
        r.unwrap().into_code().unwrap().expose().to_owned()
    }

    #[test]
    fn code_with_matching_state_is_accepted() {
        let r = parse_query("code=C0DE&state=abc&session_state=x").unwrap();
        assert_eq!(code(check_state(r, "abc", false)), "C0DE");
    }

    #[test]
    fn state_mismatch_or_missing_state_is_refused() {
        let r = parse_query("code=C&state=evil").unwrap();
        let e = check_state(r, "abc", false).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::SignIn);
        assert!(e.to_string().starts_with("state mismatch"));
        let r = parse_query("code=C").unwrap();
        assert!(check_state(r, "abc", false).is_err());
        let r = parse_query("code=C").unwrap();
        assert!(
            check_state(r, "abc", true).is_ok(),
            "a pasted bare code has no state"
        );
        let r = parse_query("admin_consent=True&tenant=t").unwrap();
        assert!(
            check_state(r, "abc", true).is_err(),
            "only a bare code goes without state"
        );
    }

    #[test]
    fn error_redirect_becomes_a_sign_in_error_with_the_first_line() {
        let r = parse_query("error=access_denied&error_description=AADSTS65004%3A+User+declined.%0D%0ATrace+ID%3A+x&state=abc").unwrap();
        let e = check_state(r, "abc", false)
            .unwrap()
            .into_code()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "sign-in failed: access_denied: AADSTS65004: User declined."
        );
    }

    #[test]
    fn admin_consent_redirects_carry_the_tenant_and_errors_win() {
        match parse_query("admin_consent=True&tenant=t-1&scope=x&state=s").unwrap() {
            Redirect::Consent { tenant, state } => {
                assert_eq!(tenant.as_deref(), Some("t-1"));
                assert_eq!(state.as_deref(), Some("s"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_query("error=consent_required&admin_consent=True&state=s"),
            Some(Redirect::Error { .. })
        ));
        assert!(parse_query("admin_consent=False&tenant=t").is_none());
        assert!(
            check_state(
                parse_query("admin_consent=True&state=s").unwrap(),
                "s",
                false
            )
            .unwrap()
            .into_code()
            .is_err()
        );
    }

    #[test]
    fn queries_without_code_or_error_are_not_redirects() {
        assert!(parse_query("").is_none());
        assert!(parse_query("foo=bar").is_none());
        assert!(parse_query("code=").is_none());
        assert!(parse_query("error=").is_none());
    }

    #[test]
    fn pasted_urls_and_bare_codes() {
        let ok = "https://login.microsoftonline.com/common/oauth2/nativeclient?code=C1&state=S&session_state=x";
        assert_eq!(code(parse_pasted(ok, "S")), "C1");
        assert_eq!(code(parse_pasted("  C2\n", "S")), "C2");
        assert_eq!(
            code(parse_pasted(
                "urn:ietf:wg:oauth:2.0:oob?code=C3&state=S",
                "S"
            )),
            "C3"
        );
        let e = parse_pasted("https://x/y?code=C&state=other", "S").unwrap_err();
        assert!(e.to_string().starts_with("state mismatch"));
        let e = parse_pasted("https://x/y?error=access_denied&state=S", "S")
            .unwrap()
            .into_code()
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::SignIn);
        assert!(parse_pasted("https://x/y?error=access_denied&state=evil", "S").is_err());
        assert!(parse_pasted("", "S").is_err());
        assert!(parse_pasted("two words", "S").is_err());
        assert!(parse_pasted("a\u{1b}b", "S").is_err());
    }

    #[test]
    fn redirect_plans_follow_the_uri() {
        let plan = |u: Option<&str>, p| RedirectPlan::new(u, p);
        assert_eq!(
            plan(None, None).unwrap(),
            RedirectPlan::Loopback {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 0,
                path: "/".into(),
                uri: "http://localhost".into()
            }
        );
        match plan(Some("http://[::1]:8400/cb"), None).unwrap() {
            RedirectPlan::Loopback { ip, port, path, .. } => {
                assert_eq!(ip, IpAddr::V6(Ipv6Addr::LOCALHOST));
                assert_eq!(port, 8400);
                assert_eq!(path, "/cb");
            }
            other => panic!("{other:?}"),
        }
        match plan(Some("http://localhost:80/cb"), None).unwrap() {
            RedirectPlan::Loopback { port, .. } => assert_eq!(port, 80),
            other => panic!("{other:?}"),
        }
        match plan(Some("http://127.0.0.1/cb"), Some(9000)).unwrap() {
            RedirectPlan::Loopback { port, .. } => assert_eq!(port, 9000),
            other => panic!("{other:?}"),
        }
        for bad in ["http://localhost:0", "http://[::1]:0/cb"] {
            let e = plan(Some(bad), None).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Invalid, "{bad}");
        }
        assert_eq!(
            plan(Some("http://localhost:8400"), Some(8401))
                .unwrap_err()
                .kind(),
            crate::ErrorKind::Invalid
        );
        for paste in [
            "https://login.microsoftonline.com/common/oauth2/nativeclient",
            "urn:ietf:wg:oauth:2.0:oob",
            "http://example.com/cb",
        ] {
            assert!(
                matches!(plan(Some(paste), None).unwrap(), RedirectPlan::Paste { .. }),
                "{paste}"
            );
        }
        assert_eq!(
            plan(Some("not a uri"), None).unwrap_err().kind(),
            crate::ErrorKind::Invalid
        );
    }

    #[test]
    fn port_goes_after_the_host_and_nothing_else_changes() {
        assert_eq!(with_port("http://localhost", 4711), "http://localhost:4711");
        assert_eq!(
            with_port("http://localhost/cb", 80),
            "http://localhost:80/cb"
        );
        assert_eq!(with_port("http://[::1]/a?b=c", 9), "http://[::1]:9/a?b=c");
    }

    #[test]
    fn pasted_lines_are_bounded() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let line = rt
            .block_on(read_pasted_line(&b"code=1&state=2\nrest"[..]))
            .unwrap();
        assert_eq!(line, "code=1&state=2\n");
        let endless = vec![0u8; MAX_PASTED + 10];
        let e = rt.block_on(read_pasted_line(&endless[..])).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Local);
    }

    #[test]
    fn the_page_escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn enc(v: &str) -> String {
            form_urlencoded::byte_serialize(v.as_bytes()).collect()
        }

        proptest! {
            #[test]
            fn any_query_or_paste_is_a_redirect_or_an_error(text in ".{0,300}") {
                let _ = parse_query(&text);
                let _ = parse_pasted(&text, "S");
                let _ = RedirectPlan::new(Some(&text), None);
            }

            #[test]
            fn a_code_comes_back_only_with_its_own_state(
                code in "[A-Za-z0-9._~-]{1,60}",
                state in "[A-Za-z0-9_-]{16,43}",
                other in "[A-Za-z0-9_-]{16,43}",
                extra in "[a-z_]{1,10}",
            ) {
                let url = format!(
                    "https://login.microsoftonline.com/common/oauth2/nativeclient?code={}&state={}&{extra}=x",
                    enc(&code), enc(&state)
                );
                let got = parse_pasted(&url, &state).unwrap().into_code().unwrap();
                prop_assert_eq!(got.expose(), code.as_str());
                if other != state {
                    prop_assert!(parse_pasted(&url, &other).is_err());
                }
                let forged = format!("error=access_denied&state={}", enc(&other));
                let r = parse_query(&forged).unwrap();
                prop_assert_eq!(check_state(r, &state, false).is_ok(), other == state);
            }

            #[test]
            fn loopback_plans_keep_the_uri_port_and_path(
                port in 1u16..,
                path in "(/[a-z0-9]{1,8}){0,3}",
            ) {
                let uri = format!("http://localhost:{port}{path}");
                match RedirectPlan::new(Some(&uri), None).unwrap() {
                    RedirectPlan::Loopback { port: p, path: got, ip, .. } => {
                        prop_assert_eq!(p, port);
                        prop_assert_eq!(got, if path.is_empty() { "/".to_owned() } else { path });
                        prop_assert!(ip.is_loopback());
                    }
                    RedirectPlan::Paste { .. } => prop_assert!(false, "{} is loopback", uri),
                }
            }
        }
    }
}
