//! `entra-token auth-code`: browser sign-in with a loopback listener or paste-back.

use entra_token::flow::auth_code::AuthCode;
use entra_token::scope::Target;
use entra_token::{Error, Result, TokenResponse};

use super::args::{AuthCodeArgs, PromptArg};
use super::common::{self, Delegated, TenantRule};
use super::{credential, redirect};

pub fn run(args: &AuthCodeArgs, verbose: u8) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::Delegated)?;
    if args.prompt == Some(PromptArg::AdminConsent) && matches!(resolved.target, Target::Scopes(_))
    {
        return Err(Error::usage(
            "--prompt admin_consent works only on the v1 endpoint (with --resource); for scopes, an administrator runs `entra-token admin-consent -c APP` instead",
        ));
    }
    let spec = credential::resolve_optional(&args.secret, &args.certificate)?;
    let key = resolved.delegated_key(spec.as_ref());
    // Loaded at most once, and only on a cache miss.
    let loaded = std::cell::OnceCell::new();
    let spec = std::cell::Cell::new(spec);
    let credential = || -> Result<Option<entra_token::credential::ClientCredential>> {
        if let Some(c) = loaded.get() {
            return Ok(Clone::clone(c));
        }
        let c = spec.take().map(credential::Spec::load).transpose()?;
        let _ = loaded.set(c.clone());
        Ok(c)
    };
    let refresh = |refresh_token| {
        common::redeem_refresh_token(
            &args.common,
            &resolved,
            credential()?,
            refresh_token,
            verbose,
        )
    };
    let interactive = || {
        let flow = AuthCode {
            authority: resolved.authority.clone(),
            client_id: resolved.client_id.clone(),
            target: resolved.target.clone(),
            claims: resolved.claims.clone(),
            prompt: args.prompt.map(|p| p.as_str().to_owned()),
            login_hint: args.login_hint.clone(),
            domain_hint: args.domain_hint.clone(),
            credential: credential()?,
        };
        sign_in(args, verbose, &flow)
    };
    common::cached_delegated(
        &args.common,
        &key,
        args.login_hint.as_deref(),
        Delegated {
            refresh: &refresh,
            interactive: &interactive,
        },
    )
}

fn sign_in(args: &AuthCodeArgs, verbose: u8, flow: &AuthCode) -> Result<TokenResponse> {
    let transport = common::transport(&args.common, verbose)?;
    let prepared = redirect::prepare(&args.redirect, args.timeout_signin)?;
    let attempt = flow.attempt(prepared.redirect_uri())?;
    let code = prepared
        .receive(&attempt.url, &attempt.state)?
        .into_code()?;
    common::block_on_interactive(flow.redeem(&transport, &attempt, code))
}
