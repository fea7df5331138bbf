//! Pure response parsing: (status, content type, bytes) → a typed answer or an error.
//! v1 endpoints send numbers as strings; they come out as numbers here.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::entra_error::EntraError;
use crate::error::{Error, Result};
use crate::inert::is_token_text;
use crate::secret::Secret;

/// What the transport hands back: the raw answer of one HTTP exchange.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
    /// The `client-request-id` sent with the request.
    pub client_request_id: String,
    /// Response headers worth keeping (lower-case names): `www-authenticate`,
    /// `x-vss-e2eid`, `x-msedge-ref`, `retry-after`.
    pub headers: Vec<(String, String)>,
}

impl HttpResponse {
    /// A response header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A token answer, normalised across v1 and v2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// Usually `Bearer`.
    pub token_type: String,
    /// The access token.
    pub access_token: Secret,
    /// Seconds the token was valid for when issued (or, from the cache, has left).
    pub expires_in: u64,
    /// Unix seconds at which the token expires.
    pub expires_on: u64,
    /// `ext_expires_in`, when sent.
    pub ext_expires_in: Option<u64>,
    /// Granted scopes, when sent (v2).
    pub scope: Option<String>,
    /// The resource, when sent (v1).
    pub resource: Option<String>,
    /// A refresh token, when sent (delegated flows).
    pub refresh_token: Option<Secret>,
    /// An ID token, when sent (delegated flows).
    pub id_token: Option<Secret>,
}

/// The answer of the device authorization endpoint (RFC 8628 §3.2; v1 says
/// `verification_url` and sends numbers as strings).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeviceAuthorization {
    /// The code the token request carries.
    #[serde(deserialize_with = "secret_string")]
    pub device_code: Secret,
    /// The code the user types.
    pub user_code: String,
    /// Where the user goes.
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    /// Seconds until the codes expire.
    #[serde(deserialize_with = "number")]
    pub expires_in: u64,
    /// Seconds between polls (default 5).
    #[serde(default, deserialize_with = "opt_number")]
    pub interval: Option<u64>,
    /// A ready-made instruction for the user.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct WireToken {
    #[serde(default)]
    token_type: Option<String>,
    #[serde(deserialize_with = "secret_string")]
    access_token: Secret,
    #[serde(default, deserialize_with = "opt_number")]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "opt_number")]
    expires_on: Option<u64>,
    #[serde(default, deserialize_with = "opt_number")]
    ext_expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default, deserialize_with = "opt_secret_string")]
    refresh_token: Option<Secret>,
    #[serde(default, deserialize_with = "opt_secret_string")]
    id_token: Option<Secret>,
}

/// Lifetime assumed when the server sends neither `expires_in` nor `expires_on`.
const DEFAULT_LIFETIME: u64 = 3600;

/// The longest lifetime believed: a server number beyond it is clamped to it.
pub const MAX_LIFETIME: u64 = 365 * 24 * 3600;

impl TokenResponse {
    fn from_wire(w: WireToken, now: u64) -> Self {
        let latest = now.saturating_add(MAX_LIFETIME);
        let (expires_in, expires_on) = match (w.expires_in, w.expires_on) {
            (Some(i), Some(on)) => (i.min(MAX_LIFETIME), on.min(latest)),
            (Some(i), None) => {
                let i = i.min(MAX_LIFETIME);
                (i, now.saturating_add(i))
            }
            (None, Some(on)) => {
                let on = on.min(latest);
                (on.saturating_sub(now), on)
            }
            (None, None) => (DEFAULT_LIFETIME, now.saturating_add(DEFAULT_LIFETIME)),
        };
        Self {
            token_type: w.token_type.unwrap_or_else(|| "Bearer".to_owned()),
            access_token: w.access_token,
            expires_in,
            expires_on,
            ext_expires_in: w.ext_expires_in,
            scope: w.scope,
            resource: w.resource,
            refresh_token: w.refresh_token.filter(|s| !s.is_empty()),
            id_token: w.id_token.filter(|s| !s.is_empty()),
        }
    }
}

/// Parses a token endpoint answer. `what` names the request in a refusal message.
pub fn parse_token(resp: &HttpResponse, what: &'static str, now: u64) -> Result<TokenResponse> {
    let wire: WireToken = parse(resp, what, "a token response")?;
    if wire.access_token.is_empty() {
        return Err(Error::transport(
            "the token endpoint answered with an empty access_token",
            Some(resp.client_request_id.clone()),
        ));
    }
    // A token goes into headers, $GITHUB_ENV and ##vso commands: one word or nothing.
    let malformed = |field: &str| {
        Error::transport(
            format!(
                "the token endpoint answered with a malformed {field} (whitespace or control characters); refused"
            ),
            Some(resp.client_request_id.clone()),
        )
    };
    if !is_token_text(wire.access_token.expose()) {
        return Err(malformed("access_token"));
    }
    if let Some(rt) = &wire.refresh_token
        && !rt.is_empty()
        && !is_token_text(rt.expose())
    {
        return Err(malformed("refresh_token"));
    }
    Ok(TokenResponse::from_wire(wire, now))
}

/// Parses a JSON answer into `T`, or turns it into the right error.
pub fn parse<T: DeserializeOwned>(
    resp: &HttpResponse,
    what: &'static str,
    expected: &str,
) -> Result<T> {
    let crid = Some(resp.client_request_id.clone());
    let ct = resp.content_type.as_deref().unwrap_or("no content type");
    if !(200..300).contains(&resp.status) {
        return match EntraError::from_body(resp.status, &resp.body) {
            // 5xx after retries is a transport failure; a 429 that persists is Entra
            // refusing (throttling), which keeps its evidence like any refusal.
            Some(entra) if resp.status >= 500 => Err(Error::Transport {
                message: format!("Entra answered HTTP {} after retries", resp.status),
                client_request_id: crid,
                entra: Some(Box::new(entra)),
                source: None,
            }),
            Some(entra) => Err(Error::Refused {
                what,
                entra: Box::new(entra),
                client_request_id: crid,
            }),
            // Throttling that outlived the retries is Entra refusing, whatever its body.
            None if resp.status == 429 => Err(Error::Refused {
                what,
                entra: Box::new(EntraError::throttled()),
                client_request_id: crid,
            }),
            None if resp.status >= 500 => Err(Error::transport(
                format!("the server answered HTTP {} after retries", resp.status),
                crid,
            )),
            None => Err(Error::transport(
                format!(
                    "the server answered HTTP {} with {ct}, not an OAuth2 JSON error",
                    resp.status
                ),
                crid,
            )),
        };
    }
    let value: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|e| {
        let detail = if e.is_eof() {
            "truncated JSON".to_owned()
        } else {
            format!("{ct}, not JSON")
        };
        Error::transport(
            format!("the server answered HTTP {} with {detail}", resp.status),
            crid.clone(),
        )
    })?;
    T::deserialize(value).map_err(|e| {
        // Only the "missing field" wording is safe to repeat: other serde messages can
        // quote a value, and a value here can be a token.
        let msg = e.to_string();
        let why = if msg.starts_with("missing field") {
            format!(": {msg}")
        } else {
            String::new()
        };
        Error::transport(
            format!("the server's JSON is not {expected}{why}"),
            crid.clone(),
        )
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrString {
    Num(u64),
    Float(f64),
    Str(String),
}

fn to_u64<E: serde::de::Error>(v: NumOrString) -> Result<u64, E> {
    match v {
        NumOrString::Num(n) => Ok(n),
        NumOrString::Float(f) if f >= 0.0 && f.is_finite() => Ok(f as u64),
        NumOrString::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| E::custom("expected a number of seconds")),
        NumOrString::Float(_) => Err(E::custom("expected a number of seconds")),
    }
}

fn number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    to_u64(NumOrString::deserialize(d)?)
}

fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<NumOrString>::deserialize(d)?
        .map(to_u64)
        .transpose()
}

fn secret_string<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::from)
}

fn opt_secret_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::from))
}

/// The JSON shape printed by `--output json`. Numbers are numbers.
#[derive(Serialize)]
pub struct JsonOutput<'a> {
    token_type: &'a str,
    access_token: &'a str,
    expires_in: u64,
    expires_on: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ext_expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
}

impl TokenResponse {
    /// The `--output json` view; exposes the tokens, so only the output writer calls it.
    pub fn json_output(&self) -> JsonOutput<'_> {
        JsonOutput {
            token_type: &self.token_type,
            access_token: self.access_token.expose(),
            expires_in: self.expires_in,
            expires_on: self.expires_on,
            ext_expires_in: self.ext_expires_in,
            scope: self.scope.as_deref(),
            resource: self.resource.as_deref(),
            refresh_token: self.refresh_token.as_ref().map(Secret::expose),
            id_token: self.id_token.as_ref().map(Secret::expose),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn resp(status: u16, ct: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            content_type: Some(ct.into()),
            body: body.as_bytes().to_vec(),
            client_request_id: "crid".into(),
            headers: Vec::new(),
        }
    }

    const JSON: &str = "application/json; charset=utf-8";

    #[test]
    fn v2_answer_computes_expires_on() {
        let r = resp(
            200,
            JSON,
            r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"AT"}"#,
        );
        let t = parse_token(&r, "x", 1_000).unwrap();
        assert_eq!(t.access_token.expose(), "AT");
        assert_eq!((t.expires_in, t.expires_on), (3599, 4599));
        assert_eq!(t.ext_expires_in, Some(3599));
        assert_eq!(t.refresh_token, None);
    }

    #[test]
    fn v1_string_numbers_become_numbers_and_server_expires_on_is_kept() {
        let r = resp(
            200,
            JSON,
            r#"{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","expires_on":"1700003599","not_before":"1700000000","resource":"https://graph.microsoft.com","access_token":"AT"}"#,
        );
        let t = parse_token(&r, "x", 1_700_000_000).unwrap();
        assert_eq!((t.expires_in, t.expires_on), (3599, 1_700_003_599));
        assert_eq!(t.resource.as_deref(), Some("https://graph.microsoft.com"));
        let json = serde_json::to_value(t.json_output()).unwrap();
        assert_eq!(json["expires_in"], 3599);
        assert_eq!(json["expires_on"], 1_700_003_599);
        assert!(json.get("scope").is_none());
    }

    #[test]
    fn refusal_keeps_evidence_and_is_exit_3() {
        let r = resp(
            401,
            JSON,
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
        );
        let e = parse_token(&r, "the client credentials", 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Refused);
        assert_eq!(e.to_string(), "Entra refused the client credentials");
    }

    #[test]
    fn server_errors_after_retries_are_transport() {
        for status in [500, 503] {
            let e = parse_token(
                &resp(status, JSON, r#"{"error":"temporarily_unavailable"}"#),
                "x",
                0,
            )
            .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Transport, "{status}");
        }
        let e = parse_token(&resp(502, "text/html", "<html>"), "x", 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport);
        let e = parse_token(&resp(429, "text/plain", "slow down"), "x", 0).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Refused,
            "a 429 that persists is Entra refusing, whatever its body"
        );
        match e {
            Error::Refused { entra, .. } => assert!(entra.hint().unwrap().contains("throttling")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn server_lifetimes_are_clamped_without_overflow() {
        let now = 1_700_000_000;
        let t = parse_token(
            &resp(
                200,
                JSON,
                r#"{"access_token":"a.b.c","expires_in":"18446744073709551615"}"#,
            ),
            "x",
            now,
        )
        .unwrap();
        assert_eq!(t.expires_in, MAX_LIFETIME);
        assert_eq!(t.expires_on, now + MAX_LIFETIME);
        let t = parse_token(
            &resp(
                200,
                JSON,
                r#"{"access_token":"a.b.c","expires_on":18446744073709551615}"#,
            ),
            "x",
            u64::MAX - 5,
        )
        .unwrap();
        assert_eq!(t.expires_on, u64::MAX);
        let t = parse_token(
            &resp(200, JSON, r#"{"access_token":"a.b.c","expires_in":1e300}"#),
            "x",
            now,
        )
        .unwrap();
        assert_eq!(t.expires_in, MAX_LIFETIME);
    }

    #[test]
    fn tokens_with_whitespace_or_control_characters_are_malformed_answers() {
        for body in [
            r#"{"access_token":"ey.J\nX-Injected: 1"}"#,
            r#"{"access_token":"a b"}"#,
            r#"{"access_token":"a\u001b]0;pwned\u0007"}"#,
            r#"{"access_token":"ok","refresh_token":"r\r\nt"}"#,
        ] {
            let e = parse_token(&resp(200, JSON, body), "x", 0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Transport, "{body}");
            assert!(e.to_string().contains("malformed"), "{e}");
            assert!(!e.to_string().contains("pwned"));
        }
    }

    #[test]
    fn persistent_throttling_with_an_oauth_body_is_a_refusal_with_a_hint() {
        let e = parse_token(
            &resp(
                429,
                JSON,
                r#"{"error":"temporarily_unavailable","error_codes":[50196]}"#,
            ),
            "x",
            0,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Refused);
        let Error::Refused { entra, .. } = e else {
            unreachable!()
        };
        assert!(entra.hint().unwrap().contains("throttl"));
    }

    #[test]
    fn html_and_truncated_bodies_are_transport_errors_without_the_body() {
        let e =
            parse_token(&resp(200, "text/html", "<html>secret page</html>"), "x", 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport);
        assert_eq!(
            e.to_string(),
            "the server answered HTTP 200 with text/html, not JSON"
        );
        let e = parse_token(
            &resp(200, JSON, r#"{"token_type":"Bearer","access_tok"#),
            "x",
            0,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server answered HTTP 200 with truncated JSON"
        );
        let e = parse_token(&resp(404, "text/html", "<html>"), "x", 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport);
    }

    #[test]
    fn json_without_a_token_is_a_transport_error_that_never_quotes_values() {
        let e = parse_token(&resp(200, JSON, r#"{"token_type":"Bearer"}"#), "x", 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server's JSON is not a token response: missing field `access_token`"
        );
        let e = parse_token(
            &resp(
                200,
                JSON,
                r#"{"access_token":"AT","expires_in":"SECRETISH"}"#,
            ),
            "x",
            0,
        )
        .unwrap_err();
        assert!(!e.to_string().contains("SECRETISH"), "{e}");
    }

    #[test]
    fn device_authorization_accepts_v1_shape() {
        let r = resp(
            200,
            JSON,
            r#"{"user_code":"ABCD","device_code":"DC","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":"5","message":"To sign in..."}"#,
        );
        let d: DeviceAuthorization = parse(&r, "x", "y").unwrap();
        assert_eq!(d.verification_uri, "https://microsoft.com/devicelogin");
        assert_eq!((d.expires_in, d.interval), (900, Some(5)));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn http(status: u16, body: Vec<u8>) -> HttpResponse {
            HttpResponse {
                status,
                content_type: Some("application/json".into()),
                body,
                client_request_id: "c".into(),
                headers: Vec::new(),
            }
        }

        fn number() -> impl Strategy<Value = serde_json::Value> {
            prop_oneof![
                any::<u64>().prop_map(serde_json::Value::from),
                any::<u64>().prop_map(|n| serde_json::Value::from(n.to_string())),
                any::<f64>().prop_map(|f| serde_json::json!(f)),
                ".{0,8}".prop_map(serde_json::Value::from),
            ]
        }

        proptest! {
            #[test]
            fn any_bytes_are_an_answer_or_an_error(
                status in prop_oneof![Just(200u16), Just(400), Just(429), Just(503)],
                body in proptest::collection::vec(any::<u8>(), 0..400),
                now in any::<u64>(),
            ) {
                let _ = parse_token(&http(status, body.clone()), "x", now);
                let _ = parse::<DeviceAuthorization>(&http(status, body), "x", "y");
            }

            #[test]
            fn a_parsed_token_is_one_word_with_a_bounded_lifetime(
                at in ".{0,40}",
                rt in proptest::option::of(".{0,40}"),
                expires_in in proptest::option::of(number()),
                expires_on in proptest::option::of(number()),
                now in any::<u64>(),
            ) {
                let mut body = serde_json::json!({"token_type": "Bearer", "access_token": at});
                if let Some(rt) = rt { body["refresh_token"] = rt.into(); }
                if let Some(n) = expires_in { body["expires_in"] = n; }
                if let Some(n) = expires_on { body["expires_on"] = n; }
                let resp = http(200, body.to_string().into_bytes());
                if let Ok(t) = parse_token(&resp, "x", now) {
                    prop_assert!(crate::inert::is_token_text(t.access_token.expose()));
                    if let Some(rt) = &t.refresh_token {
                        prop_assert!(crate::inert::is_token_text(rt.expose()));
                    }
                    prop_assert!(t.expires_in <= MAX_LIFETIME);
                    prop_assert!(t.expires_on <= now.saturating_add(MAX_LIFETIME));
                }
            }
        }
    }
}
