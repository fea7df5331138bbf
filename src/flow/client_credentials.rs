//! App-only tokens: `grant_type=client_credentials` with a client credential.

use crate::authority::Authority;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::{Grant, TokenRequest};
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
        let token_url = self.authority.token_url();
        let client_auth = self
            .credential
            .client_auth(transport, &self.client_id, &token_url)
            .await?;
        let request = TokenRequest {
            client_id: self.client_id.clone(),
            target: self.target.clone(),
            grant: Grant::ClientCredentials,
            client_auth,
            claims: self.claims.clone(),
        };
        super::request_token(
            transport,
            &self.authority,
            &request,
            "the client credentials",
        )
        .await
    }
}
