//! `entra-token admin-consent`: an administrator installs an app into a tenant.

use anyhow::Result;
use entra_token::flow::{self, admin_consent::AdminConsent};

use super::args::AdminConsentArgs;
use super::{options, redirect, report};

/// Runs the consent and returns stdout: the tenant ID and a newline.
pub fn run(args: &AdminConsentArgs) -> Result<Vec<u8>> {
    let tenant = options::tenant(args.app.tenant.as_deref().unwrap_or("organizations"))?;
    let client_id = options::client_id(args.app.client_id.as_deref(), false)?;
    let host = options::authority_host(args.app.authority_host.as_deref(), args.app.cloud)?;
    let target = options::target_in(&host, &args.app.scopes, args.app.resource.as_deref())?;
    let consent = AdminConsent {
        client: flow::Client {
            host: &host,
            tenant: &tenant,
            client_id: &client_id,
            claims: None,
            credential: None,
        },
        target: &target,
    };
    let plan = redirect::plan(&args.redirect)?;
    let prepared = redirect::prepare(plan, &args.redirect, args.timeout_signin)?;
    let attempt = consent.attempt(prepared.redirect_uri())?;
    let granted = consent.outcome(prepared.receive(&attempt.url, &attempt.state)?)?;
    report::note(&format!(
        "admin consent granted: app {client_id} is installed in tenant {granted}"
    ));
    Ok(format!("{granted}\n").into_bytes())
}
