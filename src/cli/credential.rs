//! Turns credential options and environment variables into a [`ClientCredential`].

use std::path::{Path, PathBuf};

use entra_token::credential::{
    AssertionAlg, AssertionOptions, Certificate, CertificateSource, ClientCredential,
    FederatedSource, GitHubOidc,
};
use entra_token::{Error, Result, Secret};

use super::args::{AlgArg, CertificateArgs, FederatedArgs, OptionalSecretArgs, SecretArgs};
use super::{common, env, report};

/// The credential of `client-credentials`: flags first, then environment variables.
pub fn resolve(
    secret: &SecretArgs,
    cert: &CertificateArgs,
    fed: &FederatedArgs,
) -> Result<ClientCredential> {
    if secret.client_secret_file.is_some() {
        reject_orphan_certificate_options(cert)?;
        let s = common::client_secret(secret.client_secret_file.as_deref())?;
        return s
            .map(ClientCredential::Secret)
            .ok_or_else(|| Error::usage("no client secret"));
    }
    if let Some(path) = &cert.certificate {
        return certificate(path, cert);
    }
    if let Some(path) = &fed.federated_token_file {
        reject_orphan_certificate_options(cert)?;
        return Ok(ClientCredential::Federated(FederatedSource::File(
            path.clone(),
        )));
    }
    if fed.github_oidc {
        reject_orphan_certificate_options(cert)?;
        return github(&fed.github_audience);
    }
    if let Some(s) = common::client_secret(None)? {
        reject_orphan_certificate_options(cert)?;
        return Ok(ClientCredential::Secret(s));
    }
    if let Some(path) = env_path(env::CERTIFICATE_PATH)? {
        return certificate(&path, cert);
    }
    if let Some(path) = env_path(env::FEDERATED_TOKEN_FILE)? {
        reject_orphan_certificate_options(cert)?;
        return Ok(ClientCredential::Federated(FederatedSource::File(path)));
    }
    Err(Error::usage(format!(
        "client-credentials needs a credential: set {} or pass --client-secret-file PATH (or - for stdin), --certificate PATH, --federated-token-file PATH or --github-oidc",
        env::CLIENT_SECRET
    )))
}

/// The certificate of `cert-assertion`: `--certificate` or AZURE_CLIENT_CERTIFICATE_PATH.
pub fn resolve_certificate(cert: &CertificateArgs) -> Result<ClientCredential> {
    match &cert.certificate {
        Some(path) => certificate(path, cert),
        None => match env_path(env::CERTIFICATE_PATH)? {
            Some(path) => certificate(&path, cert),
            None => Err(Error::usage(format!(
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
) -> Result<Option<ClientCredential>> {
    if let Some(path) = &secret.client_secret_file {
        reject_orphan_certificate_options(cert)?;
        let s = common::read_secret_file(path, "--client-secret-file")?;
        if s.is_empty() {
            return Err(Error::usage("the client secret is empty"));
        }
        return Ok(Some(ClientCredential::Secret(s)));
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
        Some(flag) => Err(Error::usage(format!(
            "{flag} applies to a certificate credential: pass --certificate PATH too"
        ))),
        None => Ok(()),
    }
}

fn env_path(name: &str) -> Result<Option<PathBuf>> {
    Ok(env::var(name).map(PathBuf::from))
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::local(format!("cannot read {what} {}: {e}", path.display())))
}

fn certificate(path: &Path, args: &CertificateArgs) -> Result<ClientCredential> {
    let bytes = read_file(path, "the certificate")?;
    let key = match &args.private_key {
        Some(p) => Some((read_file(p, "the private key")?, p.display().to_string())),
        None => None,
    };
    let password = match &args.certificate_password_file {
        Some(p) => Some(common::read_secret_file(p, "--certificate-password-file")?),
        None => match env::var(env::CERTIFICATE_PASSWORD) {
            Some(v) => Some(Secret::new(v.into_string().map_err(|_| {
                Error::usage(format!("{} is not valid UTF-8", env::CERTIFICATE_PASSWORD))
            })?)),
            None => None,
        },
    };
    let name = path.display().to_string();
    let cert = Certificate::load(&CertificateSource {
        bytes: &bytes,
        name: &name,
        private_key: key.as_ref().map(|(b, n)| (b.as_slice(), n.as_str())),
        password: password.as_ref(),
    })?;
    if cert.not_after() < entra_token::clock::unix_now() as i64 {
        report::warn(&format!(
            "the certificate '{}' in {name} expired on {}; Entra will likely refuse it",
            cert.subject(),
            cert.not_after_date()
        ));
    }
    let opts = AssertionOptions {
        alg: match args.assertion_alg {
            AlgArg::Rs256 => AssertionAlg::Rs256,
            AlgArg::Ps256 => AssertionAlg::Ps256,
        },
        send_chain: args.send_certificate_chain || env::flag(env::SEND_CERTIFICATE_CHAIN),
    };
    Ok(ClientCredential::Certificate(Box::new(cert), opts))
}

fn github(audience: &str) -> Result<ClientCredential> {
    let missing = || {
        Error::usage(format!(
            "--github-oidc needs {} and {}, which GitHub Actions sets only when the job has `permissions: id-token: write`",
            env::GITHUB_REQUEST_URL,
            env::GITHUB_REQUEST_TOKEN
        ))
    };
    let url = env::var(env::GITHUB_REQUEST_URL)
        .and_then(|v| v.into_string().ok())
        .ok_or_else(missing)?;
    let token = env::var(env::GITHUB_REQUEST_TOKEN)
        .and_then(|v| v.into_string().ok())
        .ok_or_else(missing)?;
    Ok(ClientCredential::Federated(FederatedSource::GitHub(
        GitHubOidc {
            request_url: url,
            request_token: Secret::new(token),
            audience: audience.to_owned(),
        },
    )))
}
