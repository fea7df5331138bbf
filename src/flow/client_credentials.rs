//! App-only tokens: `grant_type=client_credentials` with a client credential.

use crate::authority::Authority;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::Grant;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::transport::Transport;

/// What an app-only token request needs.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// Host, tenant (must name one directory) and endpoint version.
    pub authority: Authority,
    /// The application (client) ID.
    pub client_id: String,
    /// Scopes (v2) or resource (v1).
    pub target: Target,
    /// A claims challenge, passed through.
    pub claims: Option<String>,
    /// How the app proves itself.
    pub credential: ClientCredential,
}

impl ClientCredentials {
    /// Gets a token.
    pub async fn request(&self, transport: &Transport) -> Result<TokenResponse> {
        self.authority.tenant.require_single("client-credentials")?;
        let client = super::Client {
            authority: &self.authority,
            client_id: &self.client_id,
            target: &self.target,
            claims: self.claims.as_deref(),
            credential: Some(&self.credential),
        };
        super::redeem(
            transport,
            &client,
            Grant::ClientCredentials,
            "the client credentials",
        )
        .await
    }
}
