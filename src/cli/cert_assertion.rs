//! `entra-token cert-assertion`: client credentials with a certificate-signed assertion,
//! or only the assertion (`--print-assertion`).

use entra_token::cache::ScopeKey;
use entra_token::credential::ClientCredential;
use entra_token::flow::client_credentials::ClientCredentials;
use entra_token::{Error, Result, TokenResponse};

use super::args::CertAssertionArgs;
use super::common::{self, TenantRule};
use super::credential;

/// What the command prints: a token, or the signed assertion.
pub enum Outcome {
    Token(TokenResponse),
    Assertion(entra_token::Secret),
}

pub fn run(args: &CertAssertionArgs, verbose: bool) -> Result<Outcome> {
    let resolved = common::resolve(&args.common, TenantRule::AppOnly)?;
    resolved.authority.tenant.require_single("cert-assertion")?;
    let spec = credential::resolve_certificate(&args.certificate)?;
    if args.print_assertion {
        let ClientCredential::Certificate(cert, opts) = spec.load()? else {
            return Err(Error::usage("--print-assertion needs a certificate"));
        };
        let jwt = entra_token::credential::assertion::sign(
            &cert,
            &resolved.client_id,
            &resolved.authority.token_url(),
            opts,
            entra_token::clock::unix_now(),
        )?;
        return Ok(Outcome::Assertion(jwt));
    }
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
    .map(Outcome::Token)
}
