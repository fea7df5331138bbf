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
