//! Credential options: flags first, then the environment (the library's rule,
//! [`Credential::from_env`]). Secrets come only from files, stdin or the environment.

use std::path::Path;

use anyhow::{Context, Result};
use entra_token::credential::federated::{PipelinesOidc, exchange_audience};
use entra_token::credential::{
    AssertionAlg, AssertionOptions, CertificateFile, FederatedSource, GitHubOidc,
};
use entra_token::managed_identity::{Environment, ManagedIdentity, Selector};
use entra_token::transport::TransportOptions;
use entra_token::{Credential, Secret, env};

use super::args::{AlgArg, CertificateArgs, FederatedArgs, OptionalSecretArgs, SecretArgs};
use super::report::{Hint, usage};

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

/// `--client-secret VALUE` is refused, and says why (the value is never repeated).
fn refuse_secret_value(given: &Option<Option<String>>) -> Result<()> {
    if given.is_some() {
        return Err(usage(format!(
            "--client-secret is refused: a secret on the command line shows in `ps` and in shell history; set {} or pass --client-secret-file PATH ('-' reads stdin)",
            env::CLIENT_SECRET
        )));
    }
    Ok(())
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

/// What some credentials need from the rest of the command line.
pub struct Needs<'a> {
    /// The authority host: picks the token-exchange audience of a managed identity.
    pub authority_host: &'a str,
    /// Timeout and verbose log, for a managed identity's own requests.
    pub http: TransportOptions,
}

/// The credential of `client-credentials`: flags first, then environment variables.
pub fn resolve(
    secret: &SecretArgs,
    cert: &CertificateArgs,
    fed: &FederatedArgs,
    needs: &Needs<'_>,
) -> Result<Credential> {
    refuse_secret_value(&secret.client_secret_value)?;
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
    if fed.azure_pipelines {
        reject_orphan_certificate_options(cert)?;
        return azure_pipelines(fed);
    }
    if fed.managed_identity_assertion {
        reject_orphan_certificate_options(cert)?;
        return managed_identity_assertion(fed, needs);
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
    refuse_secret_value(&secret.client_secret_value)?;
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

fn azure_pipelines(fed: &FederatedArgs) -> Result<Credential> {
    let access_token = env::string(env::PIPELINES_ACCESS_TOKEN)?.ok_or_else(|| {
        usage(format!(
            "--azure-pipelines needs {}, which a script step has only when it maps it",
            env::PIPELINES_ACCESS_TOKEN
        ))
        .context(Hint(
            "add to the step:\n        env:\n          SYSTEM_ACCESSTOKEN: $(System.AccessToken)"
                .into(),
        ))
    })?;
    let request_uri = env::string(env::PIPELINES_OIDC_URI)?.ok_or_else(|| {
        usage(format!(
            "--azure-pipelines needs {}, which Azure Pipelines sets in every job",
            env::PIPELINES_OIDC_URI
        ))
    })?;
    let service_connection_id = match &fed.service_connection_id {
        Some(id) => id.clone(),
        None => env::string(env::PIPELINES_CONNECTION_ID)?.ok_or_else(|| {
            usage(format!(
                "--azure-pipelines needs the service connection: pass --service-connection-id or set {}",
                env::PIPELINES_CONNECTION_ID
            ))
        })?,
    };
    Ok(Credential::Federated(FederatedSource::AzurePipelines(
        PipelinesOidc {
            request_uri,
            access_token: Secret::new(access_token),
            service_connection_id,
        },
    )))
}

fn managed_identity_assertion(fed: &FederatedArgs, needs: &Needs<'_>) -> Result<Credential> {
    let selector = match (&fed.mi_client_id, &fed.mi_object_id, &fed.mi_resource_id) {
        (Some(c), None, None) => Selector::ClientId(c.clone()),
        (None, Some(o), None) => Selector::ObjectId(o.clone()),
        (None, None, Some(r)) => Selector::ResourceId(r.clone()),
        _ => {
            return Err(usage(
                "--managed-identity-assertion needs the user-assigned identity: one of --mi-client-id, --mi-object-id, --mi-resource-id",
            ));
        }
    };
    let mi = ManagedIdentity::detect(&Environment::from_env()?, None, selector)?
        .with_http(needs.http.clone());
    let audience = exchange_audience(needs.authority_host).to_owned();
    Ok(Credential::Federated(FederatedSource::ManagedIdentity(
        Box::new(mi),
        audience,
    )))
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
