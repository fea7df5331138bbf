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
            let mut rows: Vec<[String; 7]> = vec![[
                "KIND".into(),
                "EXPIRES".into(),
                "AUTHORITY".into(),
                "TENANT".into(),
                "CLIENT".into(),
                "SCOPES/RESOURCE".into(),
                "ACCOUNT".into(),
            ]];
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
                        entra_token::clock::human(std::time::Duration::from_secs(
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
                        "tid": e.tid,
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
                        "(any)".to_owned()
                    } else {
                        e.key.target.clone()
                    };
                    let authority = e
                        .key
                        .authority
                        .split_once("://")
                        .map_or(e.key.authority.as_str(), |(_, h)| h)
                        .to_owned();
                    rows.push([
                        kind.to_owned(),
                        expires,
                        authority,
                        e.key.tenant.clone(),
                        e.key.client_id.clone(),
                        target,
                        account.unwrap_or_else(|| "-".into()),
                    ]);
                }
            }
            if !json && !entries.is_empty() {
                out.push_str(&columns(&rows));
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
                also_tids: Vec::new(),
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

/// Rows as aligned columns: each as wide as its widest cell, the last one unpadded.
fn columns(rows: &[[String; 7]]) -> String {
    let mut widths = [0usize; 7];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_stay_aligned_for_long_cells() {
        let row = |a: &str, b: &str| -> [String; 7] {
            [a, b, "h", "t", "c", "s", "x"].map(str::to_owned)
        };
        let text = columns(&[
            row("KIND", "EXPIRES"),
            row("delegated", "in 59m 59s"),
            row("app", "-"),
        ]);
        let starts: Vec<usize> = text.lines().map(|l| l.find('h').unwrap()).collect();
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}
