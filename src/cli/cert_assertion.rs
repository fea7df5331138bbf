//! `entra-token cert-assertion`: client credentials with a certificate-signed assertion,
//! or only the assertion (`--print-assertion`).

use entra_token::credential::ClientCredential;
use entra_token::{Error, Result, TokenResponse};

use super::args::CertAssertionArgs;
use super::common::{self, TenantRule};
use super::credential;

/// What the command prints: a token, or the signed assertion.
pub enum Outcome {
    Token(TokenResponse),
    Assertion(entra_token::Secret),
}

pub fn run(args: &CertAssertionArgs, verbose: u8) -> Result<Outcome> {
    let resolved = common::resolve(&args.common, TenantRule::AppOnly)?;
    resolved.authority.tenant.require_single("cert-assertion")?;
    let spec = credential::resolve_certificate(&args.certificate)?;
    if !args.print_assertion {
        return common::app_token(&args.common, &resolved, spec, verbose).map(Outcome::Token);
    }
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
    Ok(Outcome::Assertion(jwt))
}
