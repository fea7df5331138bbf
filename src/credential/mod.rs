//! How a confidential client proves itself: a client secret (more kinds follow).

use crate::error::Result;
use crate::request::ClientAuth;
use crate::secret::Secret;

/// A client credential, as loaded from files or the environment.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientCredential {
    /// A client secret.
    Secret(Secret),
}

impl ClientCredential {
    /// The form fields for one token request to `token_url`.
    pub async fn client_auth(&self, _token_url: &str) -> Result<ClientAuth> {
        match self {
            Self::Secret(s) => Ok(ClientAuth::Secret(s.clone())),
        }
    }
}
