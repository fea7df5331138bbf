//! "High" arguments: turn clap values plus environment and files into validated library
//! types, before anything is sent. Every message names the flag or variable to fix.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use entra_token::authority::{Authority, AuthorityHost, Cloud, Tenant};
use entra_token::cache::{Cache, ScopeKey};
use entra_token::response::TokenResponse;
use entra_token::scope::Target;
use entra_token::transport::{Transport, TransportOptions};
use entra_token::{Error, Result, Secret};

use super::args::{CloudArg, TokenArgs};
use super::{env, report};

/// The validated shared options of a token command.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub authority: Authority,
    pub client_id: String,
    pub target: Target,
    pub claims: Option<String>,
}

/// Whether the tenant may be a multi-tenant alias, and the default when none is given.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TenantRule {
    /// App-only: required, one directory.
    AppOnly,
    /// Delegated: defaults to `organizations`; OIDC scopes are added to v2 requests.
    Delegated,
}

pub fn resolve(args: &TokenArgs, rule: TenantRule) -> Result<Resolved> {
    let tenant = match (args.tenant.as_deref(), rule) {
        (Some(t), _) => Tenant::parse(t)?,
        (None, TenantRule::AppOnly) => {
            return Err(Error::usage(format!(
                "no tenant: pass --tenant or set {} to the directory's GUID or verified domain",
                env::TENANT
            )));
        }
        (None, TenantRule::Delegated) => Tenant::parse("organizations")?,
    };
    let client_id = client_id(args.client_id.as_deref())?;
    let host = authority_host(args.authority_host.as_deref(), args.cloud)?;
    let mut target = Target::new(&args.scopes, args.resource.as_deref())?;
    if rule == TenantRule::Delegated {
        target = target.with_oidc_scopes();
    }
    let claims = args.claims.as_deref().map(claims_json).transpose()?;
    Ok(Resolved {
        authority: Authority {
            host,
            tenant,
            version: target.version(),
        },
        client_id,
        target,
        claims,
    })
}

/// `--client-id` (or AZURE_CLIENT_ID), a GUID or a well-known public client's name.
pub fn client_id(arg: Option<&str>) -> Result<String> {
    let client_id = match arg.map(str::trim) {
        Some(c) if !c.is_empty() => entra_token::clients::resolve_client_id(c).to_owned(),
        _ => {
            return Err(Error::usage(format!(
                "no client ID: pass --client-id or set {} to the application (client) ID",
                env::CLIENT_ID
            )));
        }
    };
    if client_id.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage(format!(
            "--client-id '{}' contains spaces",
            client_id.escape_default()
        )));
    }
    Ok(client_id)
}

/// `--authority-host` beats `--cloud`, which beats AZURE_AUTHORITY_HOST.
pub fn authority_host(arg: Option<&str>, cloud: Option<CloudArg>) -> Result<AuthorityHost> {
    if let Some(h) = arg {
        return AuthorityHost::parse(h);
    }
    if let Some(cloud) = cloud {
        let cloud = match cloud {
            CloudArg::Public => Cloud::Public,
            CloudArg::Usgov => Cloud::UsGov,
            CloudArg::China => Cloud::China,
        };
        return AuthorityHost::parse(cloud.host());
    }
    match env::var(env::AUTHORITY_HOST) {
        Some(v) => {
            let v = v
                .into_string()
                .map_err(|_| Error::usage(format!("{} is not valid UTF-8", env::AUTHORITY_HOST)))?;
            AuthorityHost::parse(&v)
                .map_err(|e| Error::usage(format!("{} (from {})", e, env::AUTHORITY_HOST)))
        }
        None => AuthorityHost::parse(Cloud::Public.host()),
    }
}

/// A claims challenge must be JSON; base64 of JSON (as in WWW-Authenticate) is decoded.
fn claims_json(input: &str) -> Result<String> {
    entra_token::claims::challenge_json(input).ok_or_else(|| {
        Error::usage(
            "--claims takes a JSON object (or its base64) from the WWW-Authenticate claims challenge",
        )
    })
}

/// Reads a client secret from `--client-secret-file` or AZURE_CLIENT_SECRET.
pub fn client_secret(file: Option<&Path>) -> Result<Option<Secret>> {
    if let Some(path) = file {
        let what = if path == Path::new("-") {
            "stdin".to_owned()
        } else {
            path.display().to_string()
        };
        let secret = read_secret_file(path, "--client-secret-file")?;
        if secret.is_empty() {
            return Err(Error::usage(format!(
                "the client secret in {what} is empty"
            )));
        }
        return Ok(Some(secret));
    }
    match env::var(env::CLIENT_SECRET) {
        Some(v) => v
            .into_string()
            .map(|s| Some(Secret::new(s)))
            .map_err(|_| Error::usage(format!("{} is not valid UTF-8", env::CLIENT_SECRET))),
        None => Ok(None),
    }
}

/// Reads a secret from a file or stdin (`-`); one trailing `\n` or `\r\n` is dropped.
pub fn read_secret_file(path: &Path, flag: &str) -> Result<Secret> {
    let shown = path.display();
    let bytes = entra_token::input::read_path_or_stdin(path).map_err(|e| {
        if path == Path::new("-") {
            Error::local(format!("cannot read {flag} from stdin: {e}"))
        } else {
            Error::local(format!("cannot read {flag} {shown}: {e}"))
        }
    })?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| Error::local(format!("{flag} {shown} is not UTF-8 text")))?;
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
    Ok(Secret::new(text))
}

/// Builds the HTTP transport; verbose lines go to stderr.
pub fn transport(args: &TokenArgs, verbose: u8) -> Result<Transport> {
    Transport::new(TransportOptions {
        timeout: Some(Duration::from_secs(args.timeout)),
        ca_file: args.ca_file.clone(),
        log: (verbose > 0).then(|| Arc::new(report::verbose) as entra_token::transport::Log),
        log_full: verbose > 1,
        backoff_base: None,
    })
}

/// A single-threaded runtime: one request at a time needs no more.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    Ok(runtime()?.block_on(future))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::local(format!("cannot start the async runtime: {e}")))
}

/// Runs an interactive sign-in; Ctrl-C ends it as "cancelled" (exit 5) instead of
/// killing the process, so the terminal line is cleaned up and nothing reaches stdout.
pub fn block_on_interactive<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    runtime()?.block_on(async {
        tokio::select! {
            result = future => result,
            _ = tokio::signal::ctrl_c() => Err(Error::SignIn("sign-in cancelled (Ctrl-C)".into())),
        }
    })
}

/// The token cache, unless `--no-cache`; `None` (after a warning) when it cannot be used.
pub fn cache(args: &TokenArgs) -> Option<Cache> {
    if args.no_cache {
        return None;
    }
    open_cache()
}

/// The cache directory as configured, opened.
pub fn open_cache() -> Option<Cache> {
    let dir = match env::var(env::CACHE_DIR) {
        Some(d) => std::path::PathBuf::from(d),
        None => match entra_token::cache::default_dir() {
            Some(d) => d,
            None => {
                report::warn("no cache directory (HOME is not set); going on without a cache");
                return None;
            }
        },
    };
    Cache::open(dir, Box::new(report::warn))
}

impl Resolved {
    /// The cache key of a request with this credential fingerprint.
    pub fn key(&self, credential_fingerprint: &str) -> ScopeKey {
        ScopeKey::new(
            &self.authority,
            &self.client_id,
            credential_fingerprint,
            &self.target,
            self.claims.as_deref(),
        )
    }

    /// The cache key of a delegated request: a confidential web app's credential, or
    /// "public".
    pub fn delegated_key(&self, spec: Option<&super::credential::Spec>) -> ScopeKey {
        let fingerprint = spec
            .map(super::credential::Spec::fingerprint)
            .unwrap_or_else(|| entra_token::cache::fingerprint("public", b""));
        self.key(&fingerprint)
    }
}

/// An app-only token (`client-credentials`, `cert-assertion`): from the cache, or from
/// Entra with the credential loaded only then.
pub fn app_token(
    args: &TokenArgs,
    resolved: &Resolved,
    spec: super::credential::Spec,
    verbose: u8,
) -> Result<TokenResponse> {
    let key = resolved.key(&spec.fingerprint());
    cached_app(args, &key, || {
        let flow = entra_token::flow::client_credentials::ClientCredentials {
            authority: resolved.authority.clone(),
            client_id: resolved.client_id.clone(),
            target: resolved.target.clone(),
            claims: resolved.claims.clone(),
            credential: spec.load()?,
        };
        let transport = transport(args, verbose)?;
        block_on(flow.request(&transport))?
    })
}

/// Redeems a refresh token for this request (silent refresh, `refresh`).
pub fn redeem_refresh_token(
    args: &TokenArgs,
    resolved: &Resolved,
    credential: Option<entra_token::credential::ClientCredential>,
    refresh_token: Secret,
    verbose: u8,
) -> Result<TokenResponse> {
    let flow = entra_token::flow::refresh::Refresh {
        authority: resolved.authority.clone(),
        client_id: resolved.client_id.clone(),
        target: resolved.target.clone(),
        claims: resolved.claims.clone(),
        refresh_token,
        credential,
    };
    let transport = transport(args, verbose)?;
    block_on(flow.request(&transport))?
}

/// An app-only token through the cache: read, lock, re-read, then `fetch` and store.
pub fn cached_app(
    args: &TokenArgs,
    key: &ScopeKey,
    fetch: impl FnOnce() -> Result<TokenResponse>,
) -> Result<TokenResponse> {
    let Some(cache) = cache(args) else {
        return fetch();
    };
    let min = Duration::from_secs(args.min_validity);
    let read = !args.force_refresh;
    if read && let Some(hit) = cache.app_token(key, min) {
        return Ok(hit);
    }
    let _lock = cache.lock(key);
    if read && let Some(hit) = cache.app_token(key, min) {
        return Ok(hit);
    }
    let token = fetch()?;
    cache.store_app(key, &token);
    Ok(token)
}

/// What a delegated command does on a cache miss.
pub struct Delegated<'a> {
    /// Redeems a refresh token (silently).
    pub refresh: &'a dyn Fn(Secret) -> Result<TokenResponse>,
    /// Asks the user.
    pub interactive: &'a dyn Fn() -> Result<TokenResponse>,
}

/// A delegated token through the cache: a cached access token, else a silent refresh with
/// the cached refresh token, else the interactive sign-in; the answer is stored.
pub fn cached_delegated(
    args: &TokenArgs,
    key: &ScopeKey,
    login_hint: Option<&str>,
    how: Delegated<'_>,
) -> Result<TokenResponse> {
    let Some(cache) = cache(args) else {
        return (how.interactive)();
    };
    let min = Duration::from_secs(args.min_validity);
    let read = !args.force_refresh;
    if read && let Some(hit) = cache.delegated_token(key, login_hint, min) {
        return Ok(hit);
    }
    let _lock = cache.lock(key);
    if read && let Some(hit) = cache.delegated_token(key, login_hint, min) {
        return Ok(hit);
    }
    if let Some((_, account)) = cache.refresh_token(key, login_hint) {
        // Another scope of this account may be redeeming (and rotating) it right now:
        // wait for it, then take the refresh token as it is after that.
        let _rt_lock = cache.lock_refresh(key, &account);
        let Some(rt) = cache.refresh_token_of(key, &account) else {
            let token = (how.interactive)()?;
            cache.store_delegated(key, &token);
            return Ok(token);
        };
        match (how.refresh)(rt) {
            Ok(token) => {
                cache.store_delegated(key, &token);
                return Ok(token);
            }
            Err(Error::Refused { entra, .. }) if entra.error == "invalid_grant" => {
                report::warn(&format!(
                    "the cached sign-in{} is no longer valid ({}); signing in again",
                    account
                        .username
                        .as_deref()
                        .map(|u| format!(" of {u}"))
                        .unwrap_or_default(),
                    entra.summary()
                ));
                cache.forget_refresh_token(key, &account);
            }
            Err(other) => return Err(other),
        }
    }
    let token = (how.interactive)()?;
    if cache.store_delegated(key, &token).is_none() {
        report::warn("the answer names no account (no id token), so it was not cached");
    }
    Ok(token)
}

/// Parses `--min-validity`: seconds, or a number with s, m or h.
pub fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    entra_token::clock::parse_duration(text)
        .ok_or_else(|| format!("'{text}' is not a duration such as 300, 90s, 5m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("300"), Ok(300));
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("5m"), Ok(300));
        assert_eq!(parse_duration("1h"), Ok(3600));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn secret_files_lose_one_trailing_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        for (content, expected) in [
            ("abc\n", "abc"),
            ("abc\r\n", "abc"),
            ("abc\n\n", "abc\n"),
            ("abc", "abc"),
            (" a b ", " a b "),
        ] {
            let p = dir.path().join("s");
            std::fs::write(&p, content).unwrap();
            assert_eq!(read_secret_file(&p, "--x").unwrap().expose(), expected);
        }
    }
}
