//! A new access token from a refresh token (`grant_type=refresh_token`).

use crate::authority::Authority;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::{ClientAuth, Grant, TokenRequest};
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
        let token_url = self.authority.token_url();
        let client_auth = match &self.credential {
            Some(c) => {
                c.client_auth(transport, &self.client_id, &token_url)
                    .await?
            }
            None => ClientAuth::None,
        };
        let request = TokenRequest {
            client_id: self.client_id.clone(),
            target: self.target.clone(),
            grant: Grant::RefreshToken {
                refresh_token: self.refresh_token.clone(),
            },
            client_auth,
            claims: self.claims.clone(),
        };
        super::request_token(transport, &self.authority, &request, "the refresh token").await
    }
}
