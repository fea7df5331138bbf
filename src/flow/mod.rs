//! The token flows. Each one only chooses its grant and credential; building, sending
//! and parsing are shared here.

pub mod admin_consent;
pub mod auth_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh;

use crate::authority::Authority;
use crate::clock::unix_now;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::{ClientAuth, Grant, TokenRequest};
use crate::response::{TokenResponse, parse_token};
use crate::scope::Target;
use crate::transport::Transport;

/// What every grant shares: where, who, for what.
#[derive(Debug, Clone)]
pub struct Client<'a> {
    /// Host, tenant and version.
    pub authority: &'a Authority,
    /// The client ID.
    pub client_id: &'a str,
    /// Scopes or resource.
    pub target: &'a Target,
    /// A claims challenge.
    pub claims: Option<&'a str>,
    /// The client credential; `None` for a public client.
    pub credential: Option<&'a ClientCredential>,
}

/// Redeems a grant: turns the credential into client authentication for this token
/// endpoint, builds the request and sends it. Every flow ends here.
pub async fn redeem(
    transport: &Transport,
    client: &Client<'_>,
    grant: Grant,
    what: &'static str,
) -> Result<TokenResponse> {
    let client_auth = match client.credential {
        Some(c) => {
            c.client_auth(transport, client.client_id, &client.authority.token_url())
                .await?
        }
        None => ClientAuth::None,
    };
    let request = TokenRequest {
        client_id: client.client_id.to_owned(),
        target: client.target.clone(),
        grant,
        client_auth,
        claims: client.claims.map(str::to_owned),
    };
    request_token(transport, client.authority, &request, what).await
}

/// Sends one token request to the authority's token endpoint and parses the answer.
/// `what` names the request in a refusal ("Entra refused the client credentials").
pub async fn request_token(
    transport: &Transport,
    authority: &Authority,
    request: &TokenRequest,
    what: &'static str,
) -> Result<TokenResponse> {
    let resp = transport
        .post_form(&authority.token_url(), &request.form())
        .await?;
    parse_token(&resp, what, unix_now())
}
