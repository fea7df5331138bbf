//! `entra-token cert-assertion`: client credentials with a certificate-signed assertion,
//! or only the assertion (`--print-assertion`).

use anyhow::Result;
use entra_token::credential::ClientCredential;
use entra_token::{Secret, TokenResponse};

use super::args::CertAssertionArgs;
use super::credential;
use super::options::{self, TenantRule};
use super::report::usage;

/// What the command prints: a token, or the signed assertion.
pub enum Outcome {
    Token(TokenResponse),
    Assertion(Secret),
}

pub fn run(args: &CertAssertionArgs, verbose: u8) -> Result<Outcome> {
    let call = options::invocation(&args.common, TenantRule::AppOnly("cert-assertion"), verbose)?;
    let app = call
        .app
        .with_credential(credential::resolve_certificate(&args.certificate)?);
    if args.print_assertion && args.common.out.output != super::args::OutputArg::Token {
        return Err(usage(
            "--print-assertion prints the signed assertion as it is; -o applies to tokens only",
        ));
    }
    if !args.print_assertion {
        return Ok(Outcome::Token(app.token(&call.target)?));
    }
    let Some(ClientCredential::Certificate(cert, opts)) = app.client_credential()? else {
        return Err(usage("--print-assertion needs a certificate"));
    };
    let token_url = app.client()?.authority(&call.target).token_url();
    let jwt = entra_token::credential::assertion::sign(
        cert,
        app.client_id(),
        &token_url,
        *opts,
        entra_token::clock::unix_now(),
    )?;
    Ok(Outcome::Assertion(jwt))
}
