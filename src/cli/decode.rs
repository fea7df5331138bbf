//! `entra-token decode`: a JWT's header, claims and a summary. No network, no verification.

use std::io::IsTerminal;

use anyhow::Result;
use entra_token::Error;
use entra_token::inert::inert;

use super::report::usage;
use serde_json::Value;

use super::args::{DecodeArgs, DecodeOutput};

pub fn run(args: &DecodeArgs) -> Result<Vec<u8>> {
    let token = match args.token.as_deref() {
        Some(t) if t != "-" => t.to_owned(),
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() && args.token.is_none() {
                return Err(usage(
                    "decode needs a token: pass it as an argument or pipe it in (entra-token ... | entra-token decode)",
                ));
            }
            let bytes = entra_token::input::read_stdin()
                .map_err(|e| Error::local(format!("cannot read the token from stdin: {e}")))?;
            String::from_utf8(bytes)
                .map_err(|_| Error::local("the token on stdin is not UTF-8 text"))?
        }
    };
    let token = token.trim();
    let token = token
        .strip_prefix("Authorization:")
        .map(str::trim)
        .unwrap_or(token);
    let decoded = entra_token::jwt::decode(token)?;
    let now = entra_token::clock::unix_now() as i64;

    if let Some(name) = &args.claim {
        let value = decoded
            .claims
            .get(name)
            .ok_or_else(|| Error::local(format!("the token has no claim '{name}'")))?;
        let raw = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        // Raw for scripts, but a claim cannot drive the terminal.
        return Ok(format!("{}\n", inert(&raw)).into_bytes());
    }
    // serde_json escapes C0 controls inside strings but not DEL or C1 (ESC's 8-bit
    // twin): those are escaped here; the layout's own newlines stay.
    let pretty = |m: &serde_json::Map<String, Value>| {
        let text = serde_json::to_string_pretty(m).unwrap_or_else(|_| "{}".into());
        text.split('\n')
            .map(|line| inert(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if args.output == DecodeOutput::Json {
        let summary: serde_json::Map<String, Value> =
            entra_token::jwt::summary(&decoded.claims, now)
                .into_iter()
                .map(|l| (l.label.replace(' ', "_"), Value::String(l.value)))
                .collect();
        let all = serde_json::json!({
            "header": decoded.header,
            "payload": decoded.claims,
            "summary": summary,
            "signature_verified": false,
        });
        return Ok(format!("{all}\n").into_bytes());
    }
    let mut out = String::new();
    out.push_str("Header\n");
    out.push_str(&pretty(&decoded.header));
    out.push_str("\n\nPayload\n");
    out.push_str(&pretty(&decoded.claims));
    out.push_str("\n\nSummary\n");
    for line in entra_token::jwt::summary(&decoded.claims, now) {
        out.push_str(&format!("  {:<11} {}\n", line.label, inert(&line.value)));
    }
    out.push_str(if decoded.signed {
        "\nThe signature was NOT verified: this shows what the token says, not that it is genuine.\n"
    } else {
        "\nThe token is unsigned: this shows what it says, not that it is genuine.\n"
    });
    Ok(out.into_bytes())
}
