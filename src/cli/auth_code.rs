//! `entra-token auth-code`: browser sign-in with a loopback listener or paste-back.

use anyhow::Result;
use entra_token::flow::auth_code::{self, SignInOptions};
use entra_token::{App, Target, TokenResponse};

use super::args::{AuthCodeArgs, PromptArg};
use super::options::{self, TenantRule, block_on_interactive};
use super::report::usage;
use super::{credential, redirect};

pub fn run(args: &AuthCodeArgs, verbose: u8) -> Result<TokenResponse> {
    let call = options::invocation(&args.common, TenantRule::Delegated, verbose)?;
    if args.prompt == Some(PromptArg::AdminConsent) && matches!(call.target, Target::Scopes(_)) {
        return Err(usage(
            "--prompt admin_consent works only on the v1 endpoint (with --resource); for scopes, an administrator runs `entra-token admin-consent -c APP` instead",
        ));
    }
    let mut app = call.app;
    if let Some(c) = credential::resolve_optional(&args.secret, &args.certificate)? {
        app = app.with_credential(c);
    }
    let target = &call.target;
    let options = SignInOptions {
        prompt: args.prompt.map(|p| p.as_str().to_owned()),
        login_hint: args.login_hint.clone(),
        domain_hint: args.domain_hint.clone(),
    };
    let plan = redirect::plan(&args.redirect)?;
    let sign_in = |app: &App| sign_in(args, &plan, app, target, &options);
    Ok(app.delegated_token(target, args.login_hint.as_deref(), &sign_in)?)
}

fn sign_in(
    args: &AuthCodeArgs,
    plan: &entra_token::loopback::RedirectPlan,
    app: &App,
    target: &Target,
    options: &SignInOptions,
) -> entra_token::Result<TokenResponse> {
    let client = app.client()?;
    let transport = app.transport()?;
    let prepared = redirect::prepare(plan.clone(), &args.redirect, args.timeout_signin)?;
    let attempt = auth_code::attempt(&client, target, options, prepared.redirect_uri())?;
    let code = prepared
        .receive(&attempt.url, &attempt.state)?
        .into_code()?;
    block_on_interactive(auth_code::redeem(
        transport, &client, target, &attempt, code,
    ))
}
