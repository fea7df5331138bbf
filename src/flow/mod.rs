//! The token flows. Each one only chooses its grant; who asks, where and with which
//! credential is the one [`Client`] they share, and building, sending and parsing are
//! [`redeem`].

pub mod admin_consent;
pub mod auth_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh;

use crate::authority::{Authority, AuthorityHost, Tenant};
use crate::clock::unix_now;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::{ClientAuth, Grant, TokenRequest};
use crate::response::{TokenResponse, parse_token};
use crate::scope::Target;
use crate::transport::Transport;

/// Who asks, where, and how it proves itself: what every grant shares.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// The authority host.
    pub host: &'a AuthorityHost,
    /// The tenant.
    pub tenant: &'a Tenant,
    /// The client ID.
    pub client_id: &'a str,
    /// A claims challenge.
    pub claims: Option<&'a str>,
    /// The client credential; `None` for a public client.
    pub credential: Option<&'a ClientCredential>,
}

impl Client<'_> {
    /// The endpoints for `target`: v2 for scopes, v1 for a resource.
    pub fn authority(&self, target: &Target) -> Authority {
        Authority {
            host: self.host.clone(),
            tenant: self.tenant.clone(),
            version: target.version(),
        }
    }
}

/// Redeems a grant for `target`: turns the credential into client authentication for
/// this token endpoint, builds the request, sends it and parses the answer. Every flow
/// ends here. `what` names the request in a refusal ("Entra refused the client
/// credentials").
pub async fn redeem<T: Transport>(
    transport: &T,
    client: &Client<'_>,
    target: &Target,
    grant: Grant,
    what: &'static str,
) -> Result<TokenResponse> {
    let token_url = client.authority(target).token_url();
    let client_auth = match client.credential {
        Some(c) => {
            c.client_auth(transport, client.client_id, &token_url)
                .await?
        }
        None => ClientAuth::None,
    };
    let request = TokenRequest {
        client_id: client.client_id,
        target,
        grant,
        client_auth,
        claims: client.claims,
    };
    let resp = transport.post_form(&token_url, &request.form()).await?;
    parse_token(&resp, what, unix_now())
}
