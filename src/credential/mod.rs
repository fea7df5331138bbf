//! How a confidential client proves itself: a client secret, a certificate-signed
//! assertion, or a federated token from another identity provider.
//!
//! [`Credential`] is where the proof comes from (cheap to fingerprint for the cache key,
//! parsed only when a request must go out); [`Credential::from_env`] holds the `AZURE_*`
//! precedence. [`ClientCredential`] is the loaded, usable form.

pub mod assertion;
pub mod certificate;
pub mod federated;

use std::path::{Path, PathBuf};

use crate::clock::unix_now;
use crate::env;
use crate::error::{Error, Result};
use crate::request::ClientAuth;
use crate::secret::Secret;
use crate::transport::Transport;

pub use assertion::{AssertionAlg, AssertionOptions};
pub use certificate::{Certificate, CertificateSource};
pub use federated::{FederatedSource, GitHubOidc};

/// A client credential, as loaded from files or the environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientCredential {
    /// A client secret.
    Secret(Secret),
    /// A certificate; a fresh assertion is signed for every request.
    Certificate(Box<Certificate>, AssertionOptions),
    /// A federated token.
    Federated(FederatedSource),
}

impl ClientCredential {
    /// The form fields for one token request from `client_id` to `token_url`.
    pub async fn client_auth<T: Transport>(
        &self,
        transport: &T,
        client_id: &str,
        token_url: &str,
    ) -> Result<ClientAuth> {
        match self {
            Self::Secret(s) => Ok(ClientAuth::Secret(s.clone())),
            Self::Certificate(cert, opts) => {
                assertion::sign(cert, client_id, token_url, *opts, unix_now())
                    .map(ClientAuth::Assertion)
            }
            Self::Federated(source) => source.assertion(transport).await.map(ClientAuth::Assertion),
        }
    }
}

/// A certificate credential as read from disk, not yet parsed.
#[derive(Clone)]
pub struct CertificateFile {
    /// Where the certificate (PEM or PFX) came from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// A separate PEM private key: path and bytes.
    pub key: Option<(PathBuf, Vec<u8>)>,
    /// The PFX password.
    pub password: Option<Secret>,
    /// How assertions are signed.
    pub options: AssertionOptions,
}

impl std::fmt::Debug for CertificateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFile")
            .field("path", &self.path)
            .field("key", &self.key.as_ref().map(|(p, _)| p))
            .field("password", &self.password)
            .field("options", &self.options)
            .finish()
    }
}

impl CertificateFile {
    /// Reads a certificate file (and a separate key file), at most 1 MiB each.
    pub fn read(path: &Path, key: Option<&Path>, password: Option<Secret>) -> Result<Self> {
        let bytes = read_file(path, "the certificate")?;
        let key = match key {
            Some(k) => Some((k.to_path_buf(), read_file(k, "the private key")?)),
            None => None,
        };
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            key,
            password,
            options: AssertionOptions::default(),
        })
    }

    /// Parses the certificate and key.
    pub fn load(&self) -> Result<Certificate> {
        let name = self.path.display().to_string();
        let key_name = self.key.as_ref().map(|(p, _)| p.display().to_string());
        Certificate::load(&CertificateSource {
            bytes: &self.bytes,
            name: &name,
            private_key: self
                .key
                .as_ref()
                .zip(key_name.as_deref())
                .map(|((_, b), n)| (b.as_slice(), n)),
            password: self.password.as_ref(),
        })
    }
}

/// Where a confidential client's proof comes from. Cheap to fingerprint (the cache key
/// holds a hash of it, never the credential), parsed only when a request must go out.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credential {
    /// A client secret.
    Secret(Secret),
    /// A certificate file.
    Certificate(Box<CertificateFile>),
    /// A federated token: a file (AKS) or GitHub Actions' OIDC endpoint.
    Federated(FederatedSource),
}

impl Credential {
    /// A client secret; an empty one is refused.
    pub fn secret(secret: Secret) -> Result<Self> {
        check_not_empty(&secret, "the client secret")?;
        Ok(Self::Secret(secret))
    }

    /// The credential the environment names, in azure-identity's order:
    /// `AZURE_CLIENT_SECRET`, then `AZURE_CLIENT_CERTIFICATE_PATH` (with
    /// `AZURE_CLIENT_CERTIFICATE_PASSWORD` and `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`), then
    /// `AZURE_FEDERATED_TOKEN_FILE`; `None` when it names none.
    pub fn from_env() -> Result<Option<Self>> {
        if let Some(s) = env::string(env::CLIENT_SECRET)? {
            return Self::secret(Secret::new(s)).map(Some);
        }
        if let Some(path) = env::var(env::CERTIFICATE_PATH) {
            let password = env::string(env::CERTIFICATE_PASSWORD)?.map(Secret::new);
            let mut file = CertificateFile::read(Path::new(&path), None, password)?;
            file.options.send_chain = env::flag(env::SEND_CERTIFICATE_CHAIN);
            return Ok(Some(Self::Certificate(Box::new(file))));
        }
        if let Some(path) = env::var(env::FEDERATED_TOKEN_FILE) {
            return Ok(Some(Self::Federated(FederatedSource::File(path.into()))));
        }
        Ok(None)
    }

    /// A fingerprint for the cache key; never the credential itself.
    pub fn fingerprint(&self) -> String {
        use crate::cache::fingerprint;
        match self {
            Self::Secret(s) => fingerprint("secret", s.expose().as_bytes()),
            Self::Certificate(c) => {
                let mut material = c.bytes.clone();
                if let Some((_, k)) = &c.key {
                    material.extend_from_slice(k);
                }
                material.push(u8::from(c.options.alg == AssertionAlg::Ps256));
                material.push(u8::from(c.options.send_chain));
                fingerprint("certificate", &material)
            }
            Self::Federated(FederatedSource::File(path)) => {
                fingerprint("federated-file", path.to_string_lossy().as_bytes())
            }
            Self::Federated(FederatedSource::GitHub(gh)) => {
                fingerprint("github-oidc", gh.audience.as_bytes())
            }
            Self::Federated(FederatedSource::AzurePipelines(p)) => {
                fingerprint("azure-pipelines", p.service_connection_id.as_bytes())
            }
            Self::Federated(FederatedSource::ManagedIdentity(mi, audience)) => fingerprint(
                "managed-identity-assertion",
                format!("{}\n{:?}\n{audience}", mi.source().name(), mi.selector()).as_bytes(),
            ),
        }
    }

    /// The usable credential: parses a certificate.
    pub fn load(&self) -> Result<ClientCredential> {
        Ok(match self {
            Self::Secret(s) => ClientCredential::Secret(s.clone()),
            Self::Federated(f) => ClientCredential::Federated(f.clone()),
            Self::Certificate(c) => ClientCredential::Certificate(Box::new(c.load()?), c.options),
        })
    }
}

/// Refuses an empty secret; the one check every secret goes through.
pub fn check_not_empty(secret: &Secret, what: &'static str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::Invalid(format!("{what} is empty")));
    }
    Ok(())
}

fn read_file(path: &Path, what: &'static str) -> Result<Vec<u8>> {
    crate::input::read_file(path).map_err(|source| Error::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}
