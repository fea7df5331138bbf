//! Reading JWTs without verifying them (for `decode` and for the cache's account).

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A JWT split into its decoded header and claims.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// True when the token has a non-empty signature part.
    pub signed: bool,
}

fn part(text: &str, what: &str) -> Result<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|_| Error::local(format!("the token's {what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Error::local(format!(
            "the token's {what} is not a JSON object"
        ))),
    }
}

/// Decodes a JWT (JWS compact form) without verifying it.
pub fn decode(token: &str) -> Result<Decoded> {
    let token = token.trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token);
    let parts: Vec<&str> = token.split('.').collect();
    match parts.len() {
        3 => {}
        5 => {
            return Err(Error::local(
                "this is an encrypted token (JWE); it cannot be read without the recipient's key",
            ));
        }
        _ => {
            return Err(Error::local(
                "not a JWT: expected three base64url parts separated by dots",
            ));
        }
    }
    Ok(Decoded {
        header: part(parts[0], "header")?,
        claims: part(parts[1], "payload")?,
        signed: !parts[2].is_empty(),
    })
}

/// Only the claims.
pub fn claims(token: &str) -> Result<Map<String, Value>> {
    decode(token).map(|d| d.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(header: &str, claims: &str, sig: &str) -> String {
        format!(
            "{}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn decodes_header_and_claims() {
        let t = make(r#"{"alg":"RS256"}"#, r#"{"aud":"x","exp":1}"#, "c2ln");
        let d = decode(&t).unwrap();
        assert_eq!(d.header["alg"], "RS256");
        assert_eq!(d.claims["aud"], "x");
        assert!(d.signed);
        assert!(decode(&format!("Bearer {t}")).is_ok());
        assert!(!decode(&make("{}", "{}", "")).unwrap().signed);
    }

    #[test]
    fn garbage_is_a_local_error() {
        for bad in ["", "abc", "a.b", "a.b.c", &make("[1]", "{}", "x")] {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Local, "{bad}");
        }
        assert!(
            decode("a.b.c.d.e")
                .unwrap_err()
                .to_string()
                .contains("encrypted")
        );
    }
}

/// One line of `decode`'s summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryLine {
    /// What it is ("audience", "expires").
    pub label: &'static str,
    /// Its value, ready to print.
    pub value: String,
}

/// The claims that answer "why does the API say 401": audience, issuer, tenant, app,
/// scopes or roles, user, issued and expiry (relative to `now`).
pub fn summary(claims: &Map<String, Value>, now: i64) -> Vec<SummaryLine> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    let get = |names: &[&str]| names.iter().find_map(|n| claims.get(*n)).map(text);
    let mut out = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push(SummaryLine { label, value });
        }
    };
    push("audience", get(&["aud"]));
    push("issuer", get(&["iss"]));
    push("tenant", get(&["tid"]));
    push(
        "app",
        get(&["appid", "azp"]).map(|id| match get(&["app_displayname"]) {
            Some(name) => format!("{id} ({name})"),
            None => id,
        }),
    );
    push("scopes", get(&["scp"]));
    push("roles", get(&["roles"]));
    push(
        "user",
        get(&["upn", "preferred_username", "unique_name", "email"]),
    );
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    push(
        "issued",
        time("iat").map(|t| {
            format!(
                "{} UTC ({})",
                crate::clock::format_utc(t),
                crate::clock::relative(t, now)
            )
        }),
    );
    push(
        "not before",
        time("nbf").filter(|t| *t > now).map(|t| {
            format!(
                "{} UTC (valid {})",
                crate::clock::format_utc(t),
                crate::clock::relative(t, now)
            )
        }),
    );
    push(
        "expires",
        time("exp").map(|t| {
            let when = if t >= now {
                format!("expires {}", crate::clock::relative(t, now))
            } else {
                format!("expired {}", crate::clock::relative(t, now))
            };
            format!("{} UTC ({when})", crate::clock::format_utc(t))
        }),
    );
    out
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn summary_names_what_explains_a_401() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"aud":"https://graph.microsoft.com","iss":"https://sts.windows.net/t/","tid":"t","appid":"a","app_displayname":"My App","roles":["A","B"],"iat":1000,"exp":3820}"#,
        )
        .unwrap();
        let lines: Vec<(&str, String)> = summary(&claims, 1000)
            .into_iter()
            .map(|l| (l.label, l.value))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("audience", "https://graph.microsoft.com".into()),
                ("issuer", "https://sts.windows.net/t/".into()),
                ("tenant", "t".into()),
                ("app", "a (My App)".into()),
                ("roles", "A B".into()),
                ("issued", "1970-01-01 00:16:40 UTC (just now)".into()),
                ("expires", "1970-01-01 01:03:40 UTC (expires in 47m)".into()),
            ]
        );
        let expired = summary(&claims, 3820 + 3 * 3600);
        assert!(expired.last().unwrap().value.ends_with("(expired 3h ago)"));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_decodes_or_is_refused(text in ".{0,300}") {
                if let Ok(d) = decode(&text) {
                    let _ = summary(&d.claims, 0);
                }
            }

            #[test]
            fn claims_come_back_as_they_were_encoded(
                claims in proptest::collection::btree_map("[a-z]{1,8}", ".{0,20}", 0..8),
                sig in "[A-Za-z0-9_-]{0,20}",
            ) {
                let payload: Map<String, Value> =
                    claims.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                let token = format!(
                    "{}.{}.{sig}",
                    URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
                    URL_SAFE_NO_PAD.encode(Value::Object(payload.clone()).to_string()),
                );
                let d = decode(&token).unwrap();
                prop_assert_eq!(d.claims, payload);
                prop_assert_eq!(d.signed, !sig.is_empty());
            }
        }
    }
}
