//! A new access token from a refresh token (`grant_type=refresh_token`).

use crate::authority::Authority;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::Grant;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::secret::Secret;
use crate::transport::Transport;

/// A refresh.
#[derive(Debug, Clone)]
pub struct Refresh {
    /// Host, tenant and version.
    pub authority: Authority,
    /// The client ID the refresh token was issued to.
    pub client_id: String,
    /// Scopes (with the OIDC ones) or resource.
    pub target: Target,
    /// A claims challenge.
    pub claims: Option<String>,
    /// The refresh token.
    pub refresh_token: Secret,
    /// A confidential client's credential.
    pub credential: Option<ClientCredential>,
}

impl Refresh {
    /// Redeems the refresh token. When Entra rotates it, the answer carries the new one.
    pub async fn request(&self, transport: &Transport) -> Result<TokenResponse> {
        let client = super::Client {
            authority: &self.authority,
            client_id: &self.client_id,
            target: &self.target,
            claims: self.claims.as_deref(),
            credential: self.credential.as_ref(),
        };
        let grant = Grant::RefreshToken {
            refresh_token: self.refresh_token.clone(),
        };
        super::redeem(transport, &client, grant, "the refresh token").await
    }
}
