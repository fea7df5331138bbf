//! `entra-token client-credentials`.

use anyhow::Result;
use entra_token::TokenResponse;

use super::args::ClientCredentialsArgs;
use super::credential;
use super::options::{self, TenantRule};

pub fn run(args: &ClientCredentialsArgs, verbose: u8) -> Result<TokenResponse> {
    let call = options::invocation(
        &args.common,
        TenantRule::AppOnly("client-credentials"),
        verbose,
    )?;
    let credential = credential::resolve(&args.secret, &args.certificate, &args.federated)?;
    Ok(call.app.with_credential(credential).token(&call.target)?)
}
