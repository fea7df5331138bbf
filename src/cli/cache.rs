//! `entra-token cache list|clear`. Never prints a token or a secret.

use entra_token::Error;
use entra_token::cache::Cache;
use entra_token::cache::{ClearFilter, Kind};
use entra_token::clock::unix_now;

use super::args::CacheCommand;
use super::report;

pub fn run(cmd: &CacheCommand) -> anyhow::Result<Vec<u8>> {
    let cache = entra_token::cache::configured_dir()
        .and_then(|dir| Cache::open(dir, Box::new(report::warn)))
        .ok_or_else(|| Error::local("the token cache cannot be opened"))?;
    match cmd {
        CacheCommand::List { json } => {
            let now = unix_now();
            let mut out = String::new();
            let entries = cache.list();
            if !json {
                out.push_str(&format!(
                    "{:<9}  {:<14}  {:<36}  {:<36}  {:<40}  {}\n",
                    "KIND", "EXPIRES", "TENANT", "CLIENT", "SCOPES/RESOURCE", "ACCOUNT"
                ));
            }
            for e in &entries {
                let kind = match e.kind {
                    Kind::App => "app",
                    Kind::Delegated => "delegated",
                    Kind::Refresh => "refresh",
                };
                let account = e.account.as_ref().and_then(|a| a.username.clone());
                let expires = match e.kind {
                    Kind::Refresh => "-".to_owned(),
                    _ if e.expires_on > now => format!(
                        "in {}",
                        entra_token::flow::device_code::human(std::time::Duration::from_secs(
                            e.expires_on - now
                        ))
                    ),
                    _ => "expired".to_owned(),
                };
                if *json {
                    let line = serde_json::json!({
                        "kind": kind,
                        "authority": e.key.authority,
                        "tenant": e.key.tenant,
                        "client_id": e.key.client_id,
                        "version": e.key.version,
                        "target": if e.kind == Kind::Refresh { serde_json::Value::Null } else { e.key.target.clone().into() },
                        "account": account,
                        "expires_on": if e.kind == Kind::Refresh { serde_json::Value::Null } else { e.expires_on.into() },
                    });
                    out.push_str(&line.to_string());
                    out.push('\n');
                } else {
                    let target = if e.kind == Kind::Refresh {
                        "(any)"
                    } else {
                        e.key.target.as_str()
                    };
                    out.push_str(&format!(
                        "{kind:<9}  {expires:<14}  {:<36}  {:<36}  {target:<40}  {}\n",
                        e.key.tenant,
                        e.key.client_id,
                        account.as_deref().unwrap_or("-")
                    ));
                }
            }
            if entries.is_empty() && !json {
                report::note(&format!("the cache at {} is empty", cache.dir().display()));
            }
            Ok(out.into_bytes())
        }
        CacheCommand::Clear { tenant, client_id } => {
            let filter = (tenant.is_some() || client_id.is_some()).then(|| ClearFilter {
                tenant: tenant.as_deref().map(str::to_ascii_lowercase),
                client_id: client_id
                    .as_deref()
                    .map(|c| entra_token::clients::resolve_client_id(c).to_owned()),
            });
            let n = cache.clear(filter.as_ref());
            report::note(&format!(
                "removed {n} cache entr{} from {}",
                if n == 1 { "y" } else { "ies" },
                cache.dir().display()
            ));
            Ok(Vec::new())
        }
    }
}
