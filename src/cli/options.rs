//! "High" arguments: clap values, environment and files become the library's [`App`] and
//! [`Target`], validated before anything is sent. Every message names the flag or the
//! variable to fix.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use entra_token::authority::{AuthorityHost, Cloud, Tenant};
use entra_token::transport::TransportOptions;
use entra_token::{App, CacheLocation, CachePolicy, Target, env};

use super::args::{CloudArg, OutputArgs, TokenArgs};
use super::report::{self, usage};

/// Whether the tenant may be a multi-tenant alias, and the default when none is given.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TenantRule {
    /// App-only (`command` names it in messages): required, one directory.
    AppOnly(&'static str),
    /// Delegated: defaults to `organizations`; OIDC scopes are added to v2 requests.
    Delegated,
}

/// A token command's app and target.
pub struct Invocation {
    pub app: App,
    pub target: Target,
}

/// Builds the app (without a credential) and the target of a token command.
pub fn invocation(args: &TokenArgs, rule: TenantRule, verbose: u8) -> Result<Invocation> {
    invocation_with(args, rule, verbose, &Defaults::default())
}

/// Tenant and client ID to use when neither the options nor AZURE_* name them (Azure
/// Pipelines' AZURESUBSCRIPTION_*).
#[derive(Default)]
pub struct Defaults {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
}

/// [`invocation`] with fallbacks for the tenant and the client ID.
pub fn invocation_with(
    args: &TokenArgs,
    rule: TenantRule,
    verbose: u8,
    defaults: &Defaults,
) -> Result<Invocation> {
    let tenant = match (
        args.app.tenant.as_deref().or(defaults.tenant.as_deref()),
        rule,
    ) {
        (Some(t), _) => tenant(t)?,
        (None, TenantRule::AppOnly(_)) => {
            return Err(usage(format!(
                "no tenant: pass --tenant or set {} to the directory's GUID or verified domain",
                env::TENANT
            )));
        }
        (None, TenantRule::Delegated) => tenant("organizations")?,
    };
    if let TenantRule::AppOnly(command) = rule
        && tenant.is_multi_tenant_alias()
    {
        return Err(usage(format!(
            "{command} needs a real tenant, and '{}' names none: pass --tenant (or {}) with the directory's GUID or a verified domain",
            tenant.as_str(),
            env::TENANT
        )));
    }
    let client_id = client_id(
        args.app
            .client_id
            .as_deref()
            .or(defaults.client_id.as_deref()),
        rule == TenantRule::Delegated,
    )?;
    let host = authority_host(args.app.authority_host.as_deref(), args.app.cloud)?;
    let mut target = target_in(&host, &args.app.scopes, args.app.resource.as_deref())?;
    if rule == TenantRule::Delegated {
        target = target.with_oidc_scopes();
    }
    let mut app = App::new(tenant, client_id)
        .with_authority_host(host)
        .with_cache(cache_policy(&args.out))
        .with_http(TransportOptions {
            ca_file: args.ca_file.clone(),
            ..http_options(&args.out, verbose)
        })
        .with_warnings(report::warn);
    if let Some(claims) = args.claims.as_deref() {
        app = app.with_claims(claims_json(claims)?);
    }
    Ok(Invocation { app, target })
}

/// `--tenant` (or AZURE_TENANT_ID).
pub fn tenant(text: &str) -> Result<Tenant> {
    Tenant::parse(text).map_err(|e| match e.to_string().as_str() {
        "the tenant is empty" => usage("--tenant is empty"),
        message => usage(format!("--tenant {message}")),
    })
}

/// `--client-id` (or AZURE_CLIENT_ID): an application (client) ID, which Entra makes a
/// GUID, or a well-known public client's name. `delegated` commands suggest the names.
pub fn client_id(arg: Option<&str>, delegated: bool) -> Result<String> {
    let names = || {
        entra_token::clients::WELL_KNOWN
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let given = match arg.map(str::trim) {
        Some(c) if !c.is_empty() => c,
        _ if delegated => {
            return Err(usage(format!(
                "no client ID: pass --client-id (or set {}) with the application (client) ID, or a well-known public client: {}",
                env::CLIENT_ID,
                names()
            )));
        }
        _ => {
            return Err(usage(format!(
                "no client ID: pass --client-id or set {} to the application (client) ID",
                env::CLIENT_ID
            )));
        }
    };
    let client_id = entra_token::clients::resolve_client_id(given);
    if uuid::Uuid::parse_str(client_id).is_err() {
        return Err(usage(format!(
            "--client-id '{}' is neither an application (client) ID, which is a GUID, nor a well-known client: {}",
            given.escape_default(),
            names()
        )));
    }
    Ok(client_id.to_owned())
}

/// `--authority-host` beats `--cloud`, which beats AZURE_AUTHORITY_HOST.
pub fn authority_host(arg: Option<&str>, cloud: Option<CloudArg>) -> Result<AuthorityHost> {
    let named = |e: entra_token::Error, source: &str| {
        let message = e.to_string();
        match message.strip_prefix("the authority host ") {
            Some(rest) => usage(format!("{source} {rest}")),
            None => usage(format!("{message} (from {source})")),
        }
    };
    if let Some(h) = arg {
        return AuthorityHost::parse(h).map_err(|e| match e.to_string() {
            m if m.starts_with("refusing") => usage(m),
            _ => named(e, "--authority-host"),
        });
    }
    if let Some(cloud) = cloud {
        return Ok(match cloud {
            CloudArg::Public => Cloud::Public,
            CloudArg::Usgov => Cloud::UsGov,
            CloudArg::China => Cloud::China,
        }
        .authority_host());
    }
    match env::string(env::AUTHORITY_HOST)? {
        Some(v) => AuthorityHost::parse(&v).map_err(|e| named(e, env::AUTHORITY_HOST)),
        None => Ok(Cloud::Public.authority_host()),
    }
}

/// `--scope`s or `--resource`; without either, the Graph of the authority's cloud.
pub fn target_in(
    host: &AuthorityHost,
    scopes: &[String],
    resource: Option<&str>,
) -> Result<Target> {
    if resource.is_none() && scopes.iter().all(|s| s.trim().is_empty()) {
        return Ok(Target::scope(Cloud::of(host).graph_scope()));
    }
    target(scopes, resource)
}

/// `--scope`s or `--resource`.
pub fn target(scopes: &[String], resource: Option<&str>) -> Result<Target> {
    Target::new(scopes, resource)
        .map_err(|_| usage("--resource takes one resource URI, e.g. https://graph.microsoft.com"))
}

/// A claims challenge must be JSON; base64 of JSON (as in WWW-Authenticate) is decoded.
fn claims_json(input: &str) -> Result<String> {
    entra_token::claims::challenge_json(input).ok_or_else(|| {
        usage(
            "--claims takes a JSON object (or its base64) from the WWW-Authenticate claims challenge",
        )
    })
}

/// `--no-cache`, `--force-refresh`, `--min-validity`.
pub fn cache_policy(args: &OutputArgs) -> CachePolicy {
    CachePolicy {
        location: if args.no_cache {
            CacheLocation::Off
        } else {
            CacheLocation::Default
        },
        read: !args.force_refresh,
        min_validity: Duration::from_secs(args.min_validity),
    }
}

/// `--timeout`, `-v`.
pub fn http_options(args: &OutputArgs, verbose: u8) -> TransportOptions {
    TransportOptions {
        timeout: Some(Duration::from_secs(args.timeout)),
        log: (verbose > 0).then(|| Arc::new(report::verbose) as entra_token::transport::Log),
        log_full: verbose > 1,
        ..TransportOptions::default()
    }
}

/// Runs an interactive sign-in; Ctrl-C ends it as "cancelled" (exit 5) instead of
/// killing the process, so the terminal line is cleaned up and nothing reaches stdout.
pub fn block_on_interactive<T>(
    future: impl std::future::Future<Output = entra_token::Result<T>>,
) -> entra_token::Result<T> {
    entra_token::app::block_on(async {
        tokio::select! {
            result = future => result,
            _ = tokio::signal::ctrl_c() => Err(entra_token::Error::SignIn("sign-in cancelled (Ctrl-C)".into())),
        }
    })?
}
