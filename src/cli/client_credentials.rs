//! `entra-token client-credentials`.

use entra_token::credential::ClientCredential;
use entra_token::flow::client_credentials::ClientCredentials;
use entra_token::{Error, Result, TokenResponse};

use super::args::ClientCredentialsArgs;
use super::common::{self, TenantRule};
use super::env;

pub fn run(args: &ClientCredentialsArgs, verbose: bool) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::AppOnly)?;
    resolved
        .authority
        .tenant
        .require_single("client-credentials")?;
    let credential = match common::client_secret(args.secret.client_secret_file.as_deref())? {
        Some(secret) => ClientCredential::Secret(secret),
        None => {
            return Err(Error::usage(format!(
                "client-credentials needs a credential: set {} or pass --client-secret-file PATH (or - for stdin)",
                env::CLIENT_SECRET
            )));
        }
    };
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
