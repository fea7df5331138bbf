//! `entra-token client-credentials`.

use entra_token::{Result, TokenResponse};

use super::args::ClientCredentialsArgs;
use super::common::{self, TenantRule};
use super::credential;

pub fn run(args: &ClientCredentialsArgs, verbose: u8) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::AppOnly)?;
    resolved
        .authority
        .tenant
        .require_single("client-credentials")?;
    let spec = credential::resolve(&args.secret, &args.certificate, &args.federated)?;
    common::app_token(&args.common, &resolved, spec, verbose)
}
