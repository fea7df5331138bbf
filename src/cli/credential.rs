//! Turns credential options and environment variables into a [`ClientCredential`].

use std::path::{Path, PathBuf};

use entra_token::cache::fingerprint;
use entra_token::credential::{
    AssertionAlg, AssertionOptions, Certificate, CertificateSource, ClientCredential,
    FederatedSource, GitHubOidc,
};
use entra_token::{Error, Result, Secret};

/// A credential as named on the command line or in the environment: cheap to fingerprint
/// (for the cache key), loaded only when a request must go out.
pub enum Spec {
    Secret(Secret),
    Certificate {
        path: PathBuf,
        bytes: Vec<u8>,
        key: Option<(PathBuf, Vec<u8>)>,
        password: Option<Secret>,
        opts: AssertionOptions,
    },
    Federated(FederatedSource),
}

impl Spec {
    /// A fingerprint for the cache key; never the credential itself.
    pub fn fingerprint(&self) -> String {
        match self {
            Self::Secret(s) => fingerprint("secret", s.expose().as_bytes()),
            Self::Certificate {
                bytes, key, opts, ..
            } => {
                let mut material = bytes.clone();
                if let Some((_, k)) = key {
                    material.extend_from_slice(k);
                }
                material.push(u8::from(opts.alg == AssertionAlg::Ps256));
                material.push(u8::from(opts.send_chain));
                fingerprint("certificate", &material)
            }
            Self::Federated(FederatedSource::File(path)) => {
                fingerprint("federated-file", path.to_string_lossy().as_bytes())
            }
            Self::Federated(FederatedSource::GitHub(gh)) => {
                fingerprint("github-oidc", gh.audience.as_bytes())
            }
        }
    }

    /// The usable credential: parses a certificate (warning when it has expired).
    pub fn load(self) -> Result<ClientCredential> {
        match self {
            Self::Secret(s) => Ok(ClientCredential::Secret(s)),
            Self::Federated(f) => Ok(ClientCredential::Federated(f)),
            Self::Certificate {
                path,
                bytes,
                key,
                password,
                opts,
            } => {
                let name = path.display().to_string();
                let key_name = key.as_ref().map(|(p, _)| p.display().to_string());
                let cert = Certificate::load(&CertificateSource {
                    bytes: &bytes,
                    name: &name,
                    private_key: key
                        .as_ref()
                        .zip(key_name.as_deref())
                        .map(|((_, b), n)| (b.as_slice(), n)),
                    password: password.as_ref(),
                })?;
                if cert.not_after() < entra_token::clock::unix_now() as i64 {
                    report::warn(&format!(
                        "the certificate '{}' in {name} expired on {}; Entra will likely refuse it",
                        cert.subject(),
                        cert.not_after_date()
                    ));
                }
                Ok(ClientCredential::Certificate(Box::new(cert), opts))
            }
        }
    }
}

use super::args::{AlgArg, CertificateArgs, FederatedArgs, OptionalSecretArgs, SecretArgs};
use super::{common, env, report};

/// The credential of `client-credentials`: flags first, then environment variables.
pub fn resolve(secret: &SecretArgs, cert: &CertificateArgs, fed: &FederatedArgs) -> Result<Spec> {
    if secret.client_secret_file.is_some() {
        reject_orphan_certificate_options(cert)?;
        let s = common::client_secret(secret.client_secret_file.as_deref())?;
        return s
            .map(Spec::Secret)
            .ok_or_else(|| Error::usage("no client secret"));
    }
    if let Some(path) = &cert.certificate {
        return certificate(path, cert);
    }
    if let Some(path) = &fed.federated_token_file {
        reject_orphan_certificate_options(cert)?;
        return Ok(Spec::Federated(FederatedSource::File(path.clone())));
    }
    if fed.github_oidc {
        reject_orphan_certificate_options(cert)?;
        return github(&fed.github_audience);
    }
    if let Some(s) = common::client_secret(None)? {
        reject_orphan_certificate_options(cert)?;
        return Ok(Spec::Secret(s));
    }
    if let Some(path) = env_path(env::CERTIFICATE_PATH)? {
        return certificate(&path, cert);
    }
    if let Some(path) = env_path(env::FEDERATED_TOKEN_FILE)? {
        reject_orphan_certificate_options(cert)?;
        return Ok(Spec::Federated(FederatedSource::File(path)));
    }
    Err(Error::usage(format!(
        "client-credentials needs a credential: set {} or pass --client-secret-file PATH (or - for stdin), --certificate PATH, --federated-token-file PATH or --github-oidc",
        env::CLIENT_SECRET
    )))
}

/// The certificate of `cert-assertion`: `--certificate` or AZURE_CLIENT_CERTIFICATE_PATH.
pub fn resolve_certificate(cert: &CertificateArgs) -> Result<Spec> {
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
) -> Result<Option<Spec>> {
    if let Some(path) = &secret.client_secret_file {
        reject_orphan_certificate_options(cert)?;
        let s = common::read_secret_file(path, "--client-secret-file")?;
        if s.is_empty() {
            return Err(Error::usage("the client secret is empty"));
        }
        return Ok(Some(Spec::Secret(s)));
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
    entra_token::input::read_file(path)
        .map_err(|e| Error::local(format!("cannot read {what} {}: {e}", path.display())))
}

fn certificate(path: &Path, args: &CertificateArgs) -> Result<Spec> {
    let bytes = read_file(path, "the certificate")?;
    let key = match &args.private_key {
        Some(p) => Some((p.clone(), read_file(p, "the private key")?)),
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
    let opts = AssertionOptions {
        alg: match args.assertion_alg {
            AlgArg::Rs256 => AssertionAlg::Rs256,
            AlgArg::Ps256 => AssertionAlg::Ps256,
        },
        send_chain: args.send_certificate_chain || env::flag(env::SEND_CERTIFICATE_CHAIN),
    };
    Ok(Spec::Certificate {
        path: path.to_path_buf(),
        bytes,
        key,
        password,
        opts,
    })
}

fn github(audience: &str) -> Result<Spec> {
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
    Ok(Spec::Federated(FederatedSource::GitHub(GitHubOidc {
        request_url: url,
        request_token: Secret::new(token),
        audience: audience.to_owned(),
    })))
}
