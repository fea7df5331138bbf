//! A new access token from a refresh token (`grant_type=refresh_token`).

use crate::error::Result;
use crate::request::Grant;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::secret::Secret;
use crate::transport::Transport;

/// Redeems `refresh_token` for `target`. When Entra rotates it, the answer carries the
/// new one.
pub async fn request<T: Transport>(
    transport: &T,
    client: &super::Client<'_>,
    target: &Target,
    refresh_token: Secret,
) -> Result<TokenResponse> {
    let grant = Grant::RefreshToken { refresh_token };
    super::redeem(transport, client, target, grant, "the refresh token").await
}
