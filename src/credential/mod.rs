//! How a confidential client proves itself: a client secret, a certificate-signed
//! assertion, or a federated token from another identity provider.

pub mod assertion;
pub mod certificate;
pub mod federated;

use crate::clock::unix_now;
use crate::error::Result;
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
    pub async fn client_auth(
        &self,
        transport: &Transport,
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
