//! `entra-token auth-code`: browser sign-in with a loopback listener or paste-back.

use std::time::Duration;

use entra_token::flow::auth_code::{AuthCode, is_loopback_redirect, parse_pasted};
use entra_token::loopback::Listener;
use entra_token::{Error, Result, TokenResponse};
use tokio::io::AsyncBufReadExt;

use super::args::AuthCodeArgs;
use super::common::{self, Delegated, TenantRule};
use super::{credential, progress};

pub fn run(args: &AuthCodeArgs, verbose: bool) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::Delegated)?;
    let spec = credential::resolve_optional(&args.secret, &args.certificate)?;
    let key = resolved.delegated_key(spec.as_ref());
    // Loaded at most once, and only on a cache miss.
    let loaded = std::cell::OnceCell::new();
    let spec = std::cell::Cell::new(spec);
    let credential = || -> Result<Option<entra_token::credential::ClientCredential>> {
        if let Some(c) = loaded.get() {
            return Ok(Clone::clone(c));
        }
        let c = spec.take().map(credential::Spec::load).transpose()?;
        let _ = loaded.set(c.clone());
        Ok(c)
    };
    let refresh = |refresh_token| {
        common::redeem_refresh_token(
            &args.common,
            &resolved,
            credential()?,
            refresh_token,
            verbose,
        )
    };
    let interactive = || {
        let flow = AuthCode {
            authority: resolved.authority.clone(),
            client_id: resolved.client_id.clone(),
            target: resolved.target.clone(),
            claims: resolved.claims.clone(),
            prompt: args.prompt.map(|p| p.as_str().to_owned()),
            login_hint: args.login_hint.clone(),
            domain_hint: args.domain_hint.clone(),
            credential: credential()?,
        };
        sign_in(args, verbose, &flow)
    };
    common::cached_delegated(
        &args.common,
        &key,
        args.login_hint.as_deref(),
        Delegated {
            refresh: &refresh,
            interactive: &interactive,
        },
    )
}

fn sign_in(args: &AuthCodeArgs, verbose: bool, flow: &AuthCode) -> Result<TokenResponse> {
    let redirect = args
        .redirect_uri
        .clone()
        .unwrap_or_else(|| "http://localhost".to_owned());
    let timeout = Duration::from_secs(args.timeout_signin);
    let transport = common::transport(&args.common, verbose)?;

    if is_loopback_redirect(&redirect) {
        let url = url::Url::parse(&redirect)
            .map_err(|e| Error::usage(format!("--redirect-uri '{redirect}' is not a URL: {e}")))?;
        let port = match (url.port(), args.port) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::usage(format!(
                    "--port {b} disagrees with the port in --redirect-uri '{redirect}'"
                )));
            }
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => 0,
        };
        let listener = Listener::bind(port)?;
        let redirect_uri = if url.port().is_some() {
            redirect.clone()
        } else {
            with_port(&redirect, listener.port())
        };
        let path = url.path().to_owned();
        let attempt = flow.attempt(&redirect_uri)?;
        open_and_show(&attempt.url, args.no_browser);
        common::block_on_interactive(async {
            let code = tokio::time::timeout(timeout, listener.wait(&path, &attempt.state))
                .await
                .map_err(|_| timed_out(timeout))??;
            flow.redeem(&transport, &attempt, code).await
        })
    } else {
        let attempt = flow.attempt(&redirect)?;
        open_and_show(&attempt.url, args.no_browser);
        progress::paste_prompt();
        common::block_on_interactive(async {
            let mut line = String::new();
            let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
            tokio::time::timeout(timeout, stdin.read_line(&mut line))
                .await
                .map_err(|_| timed_out(timeout))?
                .map_err(|e| {
                    Error::local(format!("cannot read the pasted address from stdin: {e}"))
                })?;
            let code = parse_pasted(&line, &attempt.state)?;
            flow.redeem(&transport, &attempt, code).await
        })
    }
}

fn timed_out(timeout: Duration) -> Error {
    Error::SignIn(format!(
        "sign-in did not complete within {} s (--timeout-signin)",
        timeout.as_secs()
    ))
}

fn open_and_show(url: &str, no_browser: bool) {
    if no_browser {
        progress::show_url(url, None);
    } else {
        progress::show_url(url, Some(webbrowser::open(url).is_ok()));
    }
}

/// Inserts `:port` after the host of a loopback URI that has none.
fn with_port(uri: &str, port: u16) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_goes_after_the_host_and_nothing_else_changes() {
        assert_eq!(with_port("http://localhost", 4711), "http://localhost:4711");
        assert_eq!(
            with_port("http://localhost/cb", 80),
            "http://localhost:80/cb"
        );
        assert_eq!(
            with_port("http://127.0.0.1/a?b=c", 9),
            "http://127.0.0.1:9/a?b=c"
        );
    }
}
