//! `entra-token client-credentials`.

use entra_token::cache::ScopeKey;
use entra_token::flow::client_credentials::ClientCredentials;
use entra_token::{Result, TokenResponse};

use super::args::ClientCredentialsArgs;
use super::common::{self, TenantRule};
use super::credential;

pub fn run(args: &ClientCredentialsArgs, verbose: bool) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::AppOnly)?;
    resolved
        .authority
        .tenant
        .require_single("client-credentials")?;
    let spec = credential::resolve(&args.secret, &args.certificate, &args.federated)?;
    let key = ScopeKey::new(
        &resolved.authority,
        &resolved.client_id,
        &spec.fingerprint(),
        &resolved.target,
        resolved.claims.as_deref(),
    );
    common::cached_app(&args.common, &key, || {
        let flow = ClientCredentials {
            authority: resolved.authority.clone(),
            client_id: resolved.client_id.clone(),
            target: resolved.target.clone(),
            claims: resolved.claims.clone(),
            credential: spec.load()?,
        };
        let transport = common::transport(&args.common, verbose)?;
        common::block_on(flow.request(&transport))?
    })
}
