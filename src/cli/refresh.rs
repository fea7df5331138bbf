//! `entra-token refresh`.

use std::io::Write;
use std::path::Path;

use entra_token::{Error, Result, Secret, TokenResponse};

use super::args::{OutputArg, RefreshArgs};
use super::common::{self, TenantRule};
use super::{credential, report};

pub fn run(args: &RefreshArgs, verbose: u8) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::Delegated)?;
    let spec = credential::resolve_optional(&args.secret, &args.certificate)?;
    let key = resolved.delegated_key(spec.as_ref());
    let credential = spec.map(credential::Spec::load).transpose()?;
    let redeem = |refresh_token| {
        common::redeem_refresh_token(
            &args.common,
            &resolved,
            credential.clone(),
            refresh_token,
            verbose,
        )
    };

    let Some(path) = args.refresh_token_file.as_deref() else {
        // The cached refresh token of this client (and account).
        let cache = common::cache(&args.common).ok_or_else(|| {
            Error::usage("no refresh token: pass --refresh-token-file PATH (the cache is off)")
        })?;
        let _lock = cache.lock(&key);
        let cached = cache
            .refresh_token(&key, args.login_hint.as_deref())
            .and_then(|(_, account)| {
                let rt_lock = cache.lock_refresh(&key, &account);
                Some((cache.refresh_token_of(&key, &account)?, rt_lock))
            });
        let Some((refresh_token, _rt_lock)) = cached else {
            return Err(Error::usage(format!(
                "no cached refresh token for client {} in {}{}: sign in with `entra-token device-code` or `entra-token auth-code` first, or pass --refresh-token-file",
                resolved.client_id,
                resolved.authority.tenant.as_str(),
                args.login_hint
                    .as_deref()
                    .map(|h| format!(" for {h}"))
                    .unwrap_or_default()
            )));
        };
        let token = redeem(refresh_token)?;
        cache.store_delegated(&key, &token);
        return Ok(token);
    };

    // Read, redeem and save under a lock, reading only once it is held: a parallel run
    // that rotated the token has saved the new one by then.
    let _file_lock = (path != Path::new("-") && !args.no_save).then(|| lock_file(path));
    let raw = common::read_secret_file(path, "--refresh-token-file")?;
    let refresh_token = Secret::new(raw.expose().trim());
    if refresh_token.is_empty() {
        return Err(Error::usage(format!(
            "the refresh token file {} is empty",
            shown(path)
        )));
    }
    let token = redeem(refresh_token.clone())?;
    if let Some(new) = token
        .refresh_token
        .as_ref()
        .filter(|n| **n != refresh_token)
    {
        if path == Path::new("-") {
            if args.common.output != OutputArg::Json {
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

/// Replaces the file's content atomically (temp file in the same directory + rename),
/// mode 0600. A symbolic link is followed so that the real file is replaced.
pub fn save(path: &Path, token: &Secret) -> Result<()> {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = real
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let fail = |e: std::io::Error| {
        Error::local(format!(
            "cannot save the new refresh token to {}: {e} (the old one is no longer valid; sign in again)",
            path.display()
        ))
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".entra-token-rt")
        .tempfile_in(dir)
        .map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    tmp.write_all(token.expose().as_bytes())
        .and_then(|()| tmp.write_all(b"\n"))
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(fail)?;
    tmp.persist(&real).map_err(|e| fail(e.error))?;
    Ok(())
}
