//! The token flows. Each one only chooses its grant and credential; building, sending
//! and parsing are shared here.

pub mod auth_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh;

use crate::authority::Authority;
use crate::clock::unix_now;
use crate::error::Result;
use crate::request::TokenRequest;
use crate::response::{TokenResponse, parse_token};
use crate::transport::Transport;

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
