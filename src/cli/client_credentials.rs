//! `entra-token client-credentials`.

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
    let credential = credential::resolve(&args.secret, &args.certificate, &args.federated)?;
    let flow = ClientCredentials {
        authority: resolved.authority,
        client_id: resolved.client_id,
        target: resolved.target,
        claims: resolved.claims,
        credential,
    };
    let transport = common::transport(&args.common, verbose)?;
    common::block_on(flow.request(&transport))?
}
