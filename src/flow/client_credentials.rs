//! App-only tokens: `grant_type=client_credentials` with a client credential.

use crate::error::Result;
use crate::request::Grant;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::transport::Transport;

/// Gets an app-only token for `target`. The client must carry a credential and a tenant
/// that names one directory.
pub async fn request<T: Transport>(
    transport: &T,
    client: &super::Client<'_>,
    target: &Target,
) -> Result<TokenResponse> {
    super::redeem(
        transport,
        client,
        target,
        Grant::ClientCredentials,
        "the client credentials",
    )
    .await
}
