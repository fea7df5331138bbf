//! The browser round trip shared by `auth-code` and `admin-consent`: bind the loopback
//! listener (or plan a paste-back), show and open the URL, and wait for the redirect.

use std::time::Duration;

use entra_token::loopback::{self, Listener, Redirect, RedirectPlan};
use entra_token::{Error, Result};

use super::args::RedirectArgs;
use super::options::block_on_interactive;
use super::progress;
use super::report::usage;

/// A redirect that can be waited for: the listener is bound, so the redirect URI is final.
pub struct Prepared {
    listener: Option<(Listener, String)>,
    redirect_uri: String,
    no_browser: bool,
    timeout: Duration,
}

/// Checks `--redirect-uri` and `--port` (before anything else happens).
pub fn plan(args: &RedirectArgs) -> anyhow::Result<RedirectPlan> {
    RedirectPlan::new(args.redirect_uri.as_deref(), args.port)
        .map_err(|e| usage(format!("{e} (--redirect-uri, --port)")))
}

/// Binds the listener of a loopback redirect URI (any free port unless one is named).
pub fn prepare(plan: RedirectPlan, args: &RedirectArgs, timeout_secs: u64) -> Result<Prepared> {
    let (listener, redirect_uri) = match plan {
        RedirectPlan::Loopback {
            ip,
            port,
            path,
            uri,
        } => {
            let listener = Listener::bind(ip, port)?;
            let uri = if port == 0 {
                loopback::with_port(&uri, listener.port())
            } else {
                uri
            };
            (Some((listener, path)), uri)
        }
        RedirectPlan::Paste { uri } => (None, uri),
    };
    Ok(Prepared {
        listener,
        redirect_uri,
        no_browser: args.no_browser,
        timeout: Duration::from_secs(timeout_secs),
    })
}

impl Prepared {
    /// The redirect URI to put in the URL.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Shows (and unless --no-browser opens) `url`, then waits for the redirect whose
    /// `state` is `state`: at the listener, or pasted on stdin. Ctrl-C cancels (exit 5).
    pub fn receive(self, url: &str, state: &str) -> Result<Redirect> {
        if self.no_browser {
            progress::show_url(url, None);
        } else {
            progress::show_url(url, Some(webbrowser::open(url).is_ok()));
        }
        let timeout = self.timeout;
        let timed_out = || {
            Error::SignIn(format!(
                "sign-in did not complete within {} s (--timeout-signin)",
                timeout.as_secs()
            ))
        };
        match self.listener {
            Some((listener, path)) => block_on_interactive(async {
                tokio::time::timeout(timeout, listener.wait(&path, state))
                    .await
                    .map_err(|_| timed_out())?
            }),
            None => {
                progress::paste_prompt();
                block_on_interactive(async {
                    let line = tokio::time::timeout(
                        timeout,
                        loopback::read_pasted_line(tokio::io::stdin()),
                    )
                    .await
                    .map_err(|_| timed_out())??;
                    loopback::parse_pasted(&line, state)
                })
            }
        }
    }
}
