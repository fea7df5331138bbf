//! Credential options: flags first, then the environment (the library's rule,
//! [`Credential::from_env`]). Secrets come only from files, stdin or the environment.

use std::path::Path;

use anyhow::{Context, Result};
use entra_token::credential::{
    AssertionAlg, AssertionOptions, CertificateFile, FederatedSource, GitHubOidc,
};
use entra_token::{Credential, Secret, env};

use super::args::{AlgArg, CertificateArgs, FederatedArgs, OptionalSecretArgs, SecretArgs};
use super::report::usage;

/// Reads a secret from a file or stdin (`-`), at most 1 MiB; one trailing `\n` or `\r\n`
/// is dropped.
pub fn read_secret_file(path: &Path, flag: &str) -> Result<Secret> {
    let from = if path == Path::new("-") {
        format!("cannot read {flag} from stdin")
    } else {
        format!("cannot read {flag} {}", path.display())
    };
    let bytes = entra_token::input::read_path_or_stdin(path).context(from)?;
    let mut text = String::from_utf8(bytes).map_err(|_| {
        anyhow::Error::new(entra_token::Error::local(format!(
            "{flag} {} is not UTF-8 text",
            path.display()
        )))
    })?;
    if text.ends_with("\r\n") {
        text.truncate(text.len() - 2);
    } else if text.ends_with('\n') {
        text.truncate(text.len() - 1);
    }
    Ok(Secret::new(text))
}

/// A secret from `--client-secret-file`; empty is a usage error naming where it came from.
fn secret_file(path: &Path) -> Result<Credential> {
    let secret = read_secret_file(path, "--client-secret-file")?;
    let shown = if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    Credential::secret(secret).map_err(|_| usage(format!("the client secret in {shown} is empty")))
}

/// The credential of `client-credentials`: flags first, then environment variables.
pub fn resolve(
    secret: &SecretArgs,
    cert: &CertificateArgs,
    fed: &FederatedArgs,
) -> Result<Credential> {
    if let Some(path) = &secret.client_secret_file {
        reject_orphan_certificate_options(cert)?;
        return secret_file(path);
    }
    if let Some(path) = &cert.certificate {
        return certificate(path, cert);
    }
    if let Some(path) = &fed.federated_token_file {
        reject_orphan_certificate_options(cert)?;
        return Ok(Credential::Federated(FederatedSource::File(path.clone())));
    }
    if fed.github_oidc {
        reject_orphan_certificate_options(cert)?;
        return github(&fed.github_audience);
    }
    match from_env(cert)? {
        Some(c) => Ok(c),
        None => Err(usage(format!(
            "client-credentials needs a credential: set {} or pass --client-secret-file PATH (or - for stdin), --certificate PATH, --federated-token-file PATH or --github-oidc",
            env::CLIENT_SECRET
        ))),
    }
}

/// The environment's credential, with the certificate options of the command line.
fn from_env(cert: &CertificateArgs) -> Result<Option<Credential>> {
    let credential = Credential::from_env().map_err(|e| match e {
        entra_token::Error::Invalid(m) if m.starts_with("the client secret") => {
            usage(format!("{} is empty", env::CLIENT_SECRET))
        }
        other => anyhow::Error::new(other),
    })?;
    match credential {
        Some(Credential::Certificate(mut file)) => {
            if let Some(p) = &cert.certificate_password_file {
                file.password = Some(read_secret_file(p, "--certificate-password-file")?);
            }
            if let Some(k) = &cert.private_key {
                file = Box::new(CertificateFile::read(
                    &file.path,
                    Some(k),
                    file.password.clone(),
                )?);
            }
            file.options = options(cert, file.options.send_chain);
            Ok(Some(Credential::Certificate(file)))
        }
        Some(other) => {
            reject_orphan_certificate_options(cert)?;
            Ok(Some(other))
        }
        None => Ok(None),
    }
}

/// The certificate of `cert-assertion`: `--certificate` or AZURE_CLIENT_CERTIFICATE_PATH.
pub fn resolve_certificate(cert: &CertificateArgs) -> Result<Credential> {
    match &cert.certificate {
        Some(path) => certificate(path, cert),
        None => match env::var(env::CERTIFICATE_PATH) {
            Some(path) => certificate(Path::new(&path), cert),
            None => Err(usage(format!(
                "cert-assertion needs a certificate: pass --certificate PATH or set {}",
                env::CERTIFICATE_PATH
            ))),
        },
    }
}

/// The optional credential of a confidential web app in delegated flows: explicit flags
/// only, never environment variables (they would break public clients).
pub fn resolve_optional(
    secret: &OptionalSecretArgs,
    cert: &CertificateArgs,
) -> Result<Option<Credential>> {
    if let Some(path) = &secret.client_secret_file {
        reject_orphan_certificate_options(cert)?;
        return secret_file(path).map(Some);
    }
    match &cert.certificate {
        Some(path) => certificate(path, cert).map(Some),
        None => reject_orphan_certificate_options(cert).map(|()| None),
    }
}

fn reject_orphan_certificate_options(cert: &CertificateArgs) -> Result<()> {
    let orphan = if cert.private_key.is_some() {
        Some("--private-key")
    } else if cert.certificate_password_file.is_some() {
        Some("--certificate-password-file")
    } else if cert.send_certificate_chain {
        Some("--send-certificate-chain")
    } else if cert.assertion_alg != AlgArg::Rs256 {
        Some("--assertion-alg")
    } else {
        None
    };
    match orphan {
        Some(flag) => Err(usage(format!(
            "{flag} applies to a certificate credential: pass --certificate PATH too"
        ))),
        None => Ok(()),
    }
}

fn options(args: &CertificateArgs, send_chain_from_env: bool) -> AssertionOptions {
    AssertionOptions {
        alg: match args.assertion_alg {
            AlgArg::Rs256 => AssertionAlg::Rs256,
            AlgArg::Ps256 => AssertionAlg::Ps256,
        },
        send_chain: args.send_certificate_chain || send_chain_from_env,
    }
}

fn certificate(path: &Path, args: &CertificateArgs) -> Result<Credential> {
    let password = match &args.certificate_password_file {
        Some(p) => Some(read_secret_file(p, "--certificate-password-file")?),
        None => env::string(env::CERTIFICATE_PASSWORD)?.map(Secret::new),
    };
    let mut file = CertificateFile::read(path, args.private_key.as_deref(), password)?;
    file.options = options(args, env::flag(env::SEND_CERTIFICATE_CHAIN));
    Ok(Credential::Certificate(Box::new(file)))
}

fn github(audience: &str) -> Result<Credential> {
    let missing = || {
        usage(format!(
            "--github-oidc needs {} and {}, which GitHub Actions sets only when the job has `permissions: id-token: write`",
            env::GITHUB_REQUEST_URL,
            env::GITHUB_REQUEST_TOKEN
        ))
    };
    let url = env::string(env::GITHUB_REQUEST_URL)?.ok_or_else(missing)?;
    let token = env::string(env::GITHUB_REQUEST_TOKEN)?.ok_or_else(missing)?;
    Ok(Credential::Federated(FederatedSource::GitHub(GitHubOidc {
        request_url: url,
        request_token: Secret::new(token),
        audience: audience.to_owned(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

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
