//! `entra-token client-credentials`.

use anyhow::Result;
use entra_token::{TokenResponse, env};

use super::args::ClientCredentialsArgs;
use super::credential;
use super::options::{self, Defaults, TenantRule};

pub fn run(args: &ClientCredentialsArgs, verbose: u8) -> Result<TokenResponse> {
    // An Azure Pipelines task with a workload identity connection names both.
    let defaults = if args.federated.azure_pipelines {
        Defaults {
            tenant: env::string(env::PIPELINES_TENANT_ID)?,
            client_id: env::string(env::PIPELINES_CLIENT_ID)?,
        }
    } else {
        Defaults::default()
    };
    let call = options::invocation_with(
        &args.common,
        TenantRule::AppOnly("client-credentials"),
        verbose,
        &defaults,
    )?;
    let needs = credential::Needs {
        authority_host: call.app.authority_host().as_str(),
        http: options::http_options(&args.common.out, verbose),
    };
    let credential = credential::resolve(&args.secret, &args.certificate, &args.federated, &needs)?;
    Ok(call.app.with_credential(credential).token(&call.target)?)
}
