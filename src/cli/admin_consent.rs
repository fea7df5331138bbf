//! `entra-token admin-consent`: an administrator installs an app into a tenant.

use entra_token::Result;
use entra_token::authority::{Authority, Tenant};
use entra_token::flow::admin_consent::AdminConsent;
use entra_token::scope::Target;

use super::args::AdminConsentArgs;
use super::{common, redirect, report};

/// Runs the consent and returns stdout: the tenant ID and a newline.
pub fn run(args: &AdminConsentArgs) -> Result<Vec<u8>> {
    let tenant = Tenant::parse(args.tenant.as_deref().unwrap_or("organizations"))?;
    let client_id = common::client_id(args.client_id.as_deref())?;
    let host = common::authority_host(args.authority_host.as_deref(), args.cloud)?;
    let target = Target::new(&args.scopes, args.resource.as_deref())?;
    let consent = AdminConsent {
        authority: Authority {
            host,
            tenant,
            version: target.version(),
        },
        client_id,
        target,
    };
    let prepared = redirect::prepare(&args.redirect, args.timeout_signin)?;
    let attempt = consent.attempt(prepared.redirect_uri())?;
    let granted = consent.outcome(prepared.receive(&attempt.url, &attempt.state)?)?;
    report::note(&format!(
        "admin consent granted: app {} is installed in tenant {granted}",
        consent.client_id
    ));
    Ok(format!("{granted}\n").into_bytes())
}
