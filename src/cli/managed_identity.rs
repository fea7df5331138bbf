//! `entra-token managed-identity` (alias `mi`): the token of the Azure resource this runs on.

use anyhow::Result;
use entra_token::app::{Warn, cached_token, open_cache};
use entra_token::managed_identity::{
    ARC_KEY_FILE, DEFAULT_RESOURCE, Environment, ManagedIdentity, NO_ENDPOINT, Selector, Source,
};
use entra_token::{Error, Target, TokenResponse, env};

use super::args::{ManagedIdentityArgs, SourceArg};
use super::options;
use super::report::{self, Hint, usage};

pub fn run(args: &ManagedIdentityArgs, verbose: u8) -> Result<TokenResponse> {
    let target = target(args)?;
    let selector = selector(args)?;
    let source = args.source.map(|s| match s {
        SourceArg::ServiceFabric => Source::ServiceFabric,
        SourceArg::AppService => Source::AppService,
        SourceArg::AzureMl => Source::AzureMl,
        SourceArg::CloudShell => Source::CloudShell,
        SourceArg::Arc => Source::Arc,
        SourceArg::Imds => Source::Imds,
    });
    let mi = ManagedIdentity::detect(&Environment::from_env()?, source, selector)?
        .with_http(options::http_options(&args.out, verbose));
    let policy = options::cache_policy(&args.out);
    let warn: Warn = std::sync::Arc::new(report::warn);
    let cache = open_cache(&policy, &warn);
    cached_token(&mi, &target, cache.as_ref(), &policy).map_err(|e| with_hint(&mi, e))
}

/// One scope (its `/.default` dropped) or a resource; default Azure Resource Manager.
fn target(args: &ManagedIdentityArgs) -> Result<Target> {
    let words: Vec<&str> = args
        .scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .collect();
    match (words.as_slice(), args.resource.as_deref()) {
        ([], None) => Ok(Target::Resource(DEFAULT_RESOURCE.to_owned())),
        ([], Some(r)) => options::target(&[], Some(r)),
        ([one], None) => Ok(Target::scope(one)),
        _ => Err(usage(
            "a managed identity token is for exactly one scope: pass one --scope (or --resource)",
        )),
    }
}

/// At most one user-assigned selector. AZURE_CLIENT_ID is the default client ID, so an
/// explicit --object-id or --resource-id (or --system-assigned) wins over it.
fn selector(args: &ManagedIdentityArgs) -> Result<Selector> {
    if args.system_assigned {
        return Ok(Selector::SystemAssigned);
    }
    let from_env = env::string(env::CLIENT_ID)?;
    let explicit_client = args
        .client_id
        .as_ref()
        .filter(|c| Some(*c) != from_env.as_ref());
    let others = [
        args.object_id.clone().map(Selector::ObjectId),
        args.resource_id.clone().map(Selector::ResourceId),
    ];
    let mut named: Vec<Selector> = others.into_iter().flatten().collect();
    if let Some(c) = explicit_client {
        named.push(Selector::ClientId(c.clone()));
    }
    match named.len() {
        0 => Ok(args
            .client_id
            .clone()
            .map_or(Selector::SystemAssigned, Selector::ClientId)),
        1 => Ok(named.remove(0)),
        _ => Err(usage(
            "name one identity: --client-id, --object-id or --resource-id, not several",
        )),
    }
}

/// The hints that name what to do: IMDS unreachable off Azure, the Arc key's group.
fn with_hint(mi: &ManagedIdentity, e: Error) -> anyhow::Error {
    let hint = match &e {
        Error::Transport { message, .. }
            if mi.source() == Source::Imds
                && (message.starts_with("cannot connect") || message.starts_with("no answer")) =>
        {
            Some(NO_ENDPOINT.to_owned())
        }
        Error::Read { what, source, .. }
            if *what == ARC_KEY_FILE && source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            Some(
                "reading the Arc key needs the himds group (or root): sudo usermod -a -G himds $USER, then log in again"
                    .to_owned(),
            )
        }
        _ => None,
    };
    match hint {
        Some(h) => anyhow::Error::new(e).context(Hint(h)),
        None => anyhow::Error::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_token::managed_identity::Environment;

    fn imds() -> ManagedIdentity {
        ManagedIdentity::detect(&Environment::default(), None, Selector::SystemAssigned).unwrap()
    }

    #[test]
    fn a_denied_arc_key_hints_at_the_himds_group() {
        let e = Error::Read {
            what: ARC_KEY_FILE,
            path: "/var/opt/azcmagent/tokens/x.key".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let shown = report::render(&with_hint(&imds(), e), None);
        assert!(
            shown.starts_with(
                "entra-token: error: cannot read the Azure Arc key file /var/opt/azcmagent/tokens/x.key: "
            ),
            "{shown}"
        );
        assert!(
            shown.ends_with("hint: reading the Arc key needs the himds group (or root): sudo usermod -a -G himds $USER, then log in again\n"),
            "{shown}"
        );
        assert_eq!(report::exit_code(&with_hint(&imds(), Error::local("x"))), 1);
    }
}
