//! `entra-token refresh`.

use std::path::Path;

use anyhow::Result;
use entra_token::{App, Secret, Target, TokenResponse, TokenSource};

use super::args::{OutputArg, RefreshArgs};
use super::credential;
use super::options::{self, TenantRule};
use super::report::{self, usage};

pub fn run(args: &RefreshArgs, verbose: u8) -> Result<TokenResponse> {
    let call = options::invocation(&args.common, TenantRule::Delegated, verbose)?;
    let mut app = call.app;
    if let Some(c) = credential::resolve_optional(&args.secret, &args.certificate)? {
        app = app.with_credential(c);
    }
    let target = &call.target;

    let Some(path) = args.refresh_token_file.as_deref() else {
        // The cached refresh token of this client (and account).
        if args.common.out.no_cache {
            return Err(usage(
                "no refresh token: pass --refresh-token-file PATH (the cache is off)",
            ));
        }
        return app
            .refresh_from_cache(target, args.login_hint.as_deref())?
            .ok_or_else(|| {
                usage(format!(
                    "no cached refresh token for client {} in {}{}: sign in with `entra-token device-code` or `entra-token auth-code` first, or pass --refresh-token-file",
                    app.client_id(),
                    app.tenant().as_str(),
                    args.login_hint
                        .as_deref()
                        .map(|h| format!(" for {h}"))
                        .unwrap_or_default()
                ))
            });
    };

    if path == Path::new("-") {
        // Nothing identifies stdin between runs: no cache, just the redeem.
        return redeem_file(&app, target, path, args);
    }
    // An access token redeemed from this file before, with enough time left, is reused
    // (keyed by the file, so that another sign-in's token is never taken for it).
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let app = app.with_cache_scope(format!("refresh-token-file:{}", real.display()));
    let source = FromFile {
        app: &app,
        path,
        args,
    };
    let cache = app.open_cache();
    Ok(entra_token::app::cached_token(
        &source,
        target,
        cache.as_ref(),
        app.cache_policy(),
    )?)
}

/// Tokens redeemed from a refresh token file, for the cache.
struct FromFile<'a> {
    app: &'a App,
    path: &'a Path,
    args: &'a RefreshArgs,
}

impl TokenSource for FromFile<'_> {
    fn cache_key(&self, target: &Target) -> entra_token::Result<entra_token::cache::ScopeKey> {
        Ok(self.app.key(target))
    }

    fn fetch(&self, target: &Target) -> entra_token::Result<TokenResponse> {
        redeem_file(self.app, target, self.path, self.args).map_err(|e| {
            match e.downcast::<entra_token::Error>() {
                Ok(lib) => lib,
                Err(other) if other.is::<report::UsageError>() => {
                    entra_token::Error::Invalid(format!("{other:#}"))
                }
                Err(other) => entra_token::Error::local(format!("{other:#}")),
            }
        })
    }

    fn note(&self, line: &str) {
        report::verbose(line);
    }

    fn warn(&self, message: &str) {
        report::warn(message);
    }
}

/// Reads, redeems and saves under a lock, reading only once it is held: a parallel run
/// that rotated the token has saved the new one by then.
fn redeem_file(
    app: &App,
    target: &Target,
    path: &Path,
    args: &RefreshArgs,
) -> Result<TokenResponse> {
    let _file_lock = (path != Path::new("-") && !args.no_save).then(|| lock_file(path));
    let raw = credential::read_secret_file(path, "--refresh-token-file")?;
    let refresh_token = Secret::new(raw.expose().trim());
    if refresh_token.is_empty() {
        return Err(usage(format!(
            "the refresh token file {} is empty",
            shown(path)
        )));
    }
    let token = app.redeem_refresh_token(refresh_token.clone(), target)?;
    if let Some(new) = token
        .refresh_token
        .as_ref()
        .filter(|n| **n != refresh_token)
    {
        if path == Path::new("-") {
            if args.common.out.output != OutputArg::Json {
                report::warn(
                    "Entra issued a new refresh token; it was read from stdin, so it was not saved (use -o json to capture it)",
                );
            }
        } else if !args.no_save {
            save(path, new)?;
        }
    }
    Ok(token)
}

/// The lock of a refresh token file: `.NAME.lock` beside the (real) file. A file of its
/// own, because saving replaces the token file by rename, which a lock on the token file
/// itself would not survive.
fn lock_file(path: &Path) -> entra_token::cache::Lock {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "refresh-token".into());
    let lock = real.with_file_name(format!(".{name}.lock"));
    entra_token::cache::lock::acquire(&lock, &|w| report::warn(w))
}

fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "on stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Replaces the file's content atomically with mode 0600. A symbolic link is followed
/// so that the real file is replaced.
fn save(path: &Path, token: &Secret) -> Result<()> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let line = format!("{}\n", token.expose());
    entra_token::input::write_private(&real, line.as_bytes(), ".entra-token-rt").map_err(|e| {
        anyhow::Error::new(entra_token::Error::local_from(
            format!(
                "cannot save the new refresh token to {}: {e} (the old one is no longer valid; sign in again)",
                path.display()
            ),
            e,
        ))
    })
}
