//! Entra's refusal: the `error`, the AADSTS codes, the first description line and the ids
//! that let Microsoft support find the request, plus a hint for well-known codes.

use serde::Deserialize;

/// An OAuth2 error answer from Entra, with the evidence kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraError {
    /// The OAuth2 `error` code, e.g. `invalid_client`.
    pub error: String,
    /// The AADSTS numbers from `error_codes` (or, failing that, from the description).
    pub codes: Vec<u64>,
    /// The first line of `error_description`, which carries the AADSTS code and message.
    pub description: Option<String>,
    /// `trace_id`.
    pub trace_id: Option<String>,
    /// `correlation_id`.
    pub correlation_id: Option<String>,
    /// `suberror`, e.g. `consent_required` or `bad_token`.
    pub suberror: Option<String>,
    /// The HTTP status the error came with; 0 for an error that came on a redirect.
    pub status: u16,
}

#[derive(Deserialize)]
struct Wire {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    suberror: Option<String>,
}

impl EntraError {
    /// Parses an OAuth2 error body; `None` when the body is not one.
    pub fn from_body(status: u16, body: &[u8]) -> Option<Self> {
        let wire: Wire = serde_json::from_slice(body).ok()?;
        if wire.error.is_empty() {
            return None;
        }
        let description = wire
            .error_description
            .as_deref()
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(|l| truncate(l, 400));
        let mut codes: Vec<u64> = wire
            .error_codes
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .collect();
        if codes.is_empty() {
            codes.extend(description.as_deref().and_then(aadsts_in));
        }
        Some(Self {
            error: wire.error,
            codes,
            description,
            trace_id: wire.trace_id.filter(|s| !s.is_empty()),
            correlation_id: wire.correlation_id.filter(|s| !s.is_empty()),
            suberror: wire.suberror.filter(|s| !s.is_empty()),
            status,
        })
    }

    /// An error that came back on a browser redirect (`error`, `error_description`)
    /// rather than in a token answer: its ids are read from the description's lines
    /// (`Trace ID: …`, `Correlation ID: …`), and it has no HTTP status (0).
    pub fn from_redirect(error: &str, description: Option<&str>) -> Self {
        let line_value = |name: &str| {
            description?
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let first = description
            .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(|l| truncate(l, 400));
        Self {
            error: error.to_owned(),
            codes: first.as_deref().and_then(aadsts_in).into_iter().collect(),
            description: first,
            trace_id: line_value("Trace ID:"),
            correlation_id: line_value("Correlation ID:"),
            suberror: None,
            status: 0,
        }
    }

    /// HTTP 429 without an OAuth2 error body: throttling, with its hint.
    pub fn throttled() -> Self {
        Self {
            error: "throttled".into(),
            codes: Vec::new(),
            description: Some("HTTP 429 Too Many Requests, without an OAuth2 error body".into()),
            trace_id: None,
            correlation_id: None,
            suberror: None,
            status: 429,
        }
    }

    /// True when an administrator's consent would cure the refusal (AADSTS65001, 90093,
    /// 90094): the place to name `entra-token admin-consent`.
    pub fn needs_admin_consent(&self) -> bool {
        [65001, 90093, 90094].iter().any(|c| self.has_code(*c))
    }

    /// True when any of the AADSTS codes is `code`.
    pub fn has_code(&self, code: u64) -> bool {
        self.codes.contains(&code)
    }

    /// The evidence line(s): the first description line, prefixed with the AADSTS codes
    /// when the description does not already name them.
    pub fn summary(&self) -> String {
        let codes = self
            .codes
            .iter()
            .map(|c| format!("AADSTS{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        match &self.description {
            Some(d) if d.starts_with("AADSTS") || codes.is_empty() => d.clone(),
            Some(d) => format!("{codes}: {d}"),
            None if codes.is_empty() => self.error.clone(),
            None => codes,
        }
    }

    /// The hint for a refusal of `what` (the words of [`crate::Error::Refused`]): a
    /// refresh token that Entra no longer takes (`invalid_grant`, whatever its code) means
    /// signing in again.
    pub fn hint_for(&self, what: &str) -> Option<&'static str> {
        self.hint().or_else(|| {
            (self.error == "invalid_grant" && what.contains("refresh token"))
                .then_some(SIGN_IN_AGAIN)
        })
    }

    /// A hint for well-known codes; see TROUBLESHOOTING.md.
    pub fn hint(&self) -> Option<&'static str> {
        HINTS
            .iter()
            .find(|(code, _)| self.has_code(*code))
            .map(|(_, hint)| *hint)
            .or_else(|| match self.error.as_str() {
                "invalid_grant" if self.suberror.is_some() || self.codes.is_empty() => {
                    Some(SIGN_IN_AGAIN)
                }
                _ if self.status == 429 => Some(THROTTLED),
                _ => None,
            })
    }
}

const THROTTLED: &str = "Entra is throttling this client: let the token cache work (avoid --no-cache and --force-refresh in loops) and try again later";

const SIGN_IN_AGAIN: &str = "the refresh token or code is no longer valid: sign in again with `entra-token device-code` or `entra-token auth-code`";

/// AADSTS code → what to do. The same table stands in TROUBLESHOOTING.md.
pub const HINTS: &[(u64, &str)] = &[
    (
        7000215,
        "the client secret is wrong: use the secret's Value (not its Secret ID) from Certificates & secrets of the app registration, in AZURE_CLIENT_SECRET or --client-secret-file",
    ),
    (
        7000222,
        "the client secret has expired: create a new one under Certificates & secrets of the app registration",
    ),
    (
        700016,
        "the application was not found in this tenant: check --client-id and --tenant, and that the app is registered or consented in that directory",
    ),
    (
        90002,
        "the tenant does not exist in this cloud: check --tenant (a GUID or a verified domain) and --cloud",
    ),
    (
        900023,
        "the tenant is not valid: pass the directory's GUID or a verified domain to --tenant",
    ),
    (
        700027,
        "the client assertion was refused: upload this certificate under Certificates & secrets of the app registration, or check that the assertion is signed by it",
    ),
    (
        700024,
        "the client assertion is outside its valid time range: check this machine's clock (NTP)",
    ),
    (
        70021,
        "no federated credential on the app matches this token: check issuer, subject and audience of the app's federated identity credential",
    ),
    (
        700211,
        "no federated credential on the app trusts this token's issuer: add a federated identity credential for it under Certificates & secrets",
    ),
    (
        700212,
        "no federated credential on the app matches this token's audience: Entra expects api://AzureADTokenExchange unless the credential says otherwise",
    ),
    (
        70022204,
        "no federated credential on the app matches this token's audience: it must list api://AzureADTokenExchange (USGov/China variants in those clouds)",
    ),
    (
        700213,
        "no federated credential on the app matches this token's subject: add one for this repository, branch or environment",
    ),
    (
        7000218,
        "this app needs a credential, or \"Allow public client flows\" must be enabled under Authentication of the app registration",
    ),
    (
        1002012,
        "client credentials need a scope ending in /.default, e.g. https://graph.microsoft.com/.default",
    ),
    (
        70011,
        "the scope is not valid: check --scope (app-only tokens use RESOURCE/.default)",
    ),
    (
        500011,
        "the resource was not found in this tenant: check --scope or --resource, and that the API's service principal exists there",
    ),
    (
        65001,
        "consent is required: an administrator must consent to this app for the whole tenant with `entra-token admin-consent` (or API permissions → Grant admin consent)",
    ),
    (
        90094,
        "only an administrator can grant these permissions: have one consent for the whole tenant with `entra-token admin-consent`",
    ),
    (
        90093,
        "the account that signed in may not grant these permissions: an administrator (Global, Privileged Role or Cloud Application Administrator) must run `entra-token admin-consent`",
    ),
    (
        65004,
        "the consent was declined on the consent page: run the command again and accept",
    ),
    (
        50194,
        "the app is not multi-tenant: set Supported account types to accounts in any organizational directory (Authentication of the app registration), or consent in the app's home tenant",
    ),
    (
        50076,
        "multi-factor authentication is required: sign in interactively with `entra-token auth-code` or `entra-token device-code`",
    ),
    (
        50079,
        "multi-factor authentication registration is required: sign in interactively with `entra-token auth-code`",
    ),
    (
        53003,
        "Conditional Access blocked this sign-in: ask your administrator which policy applies (the trace id identifies the attempt)",
    ),
    (
        530003,
        "Conditional Access requires a managed device: sign in from a compliant device",
    ),
    (
        50059,
        "no tenant was named: app-only tokens need --tenant with the directory's GUID or verified domain, not common or organizations",
    ),
    (
        7000112,
        "the application is disabled in this tenant: an administrator must enable it",
    ),
    (
        50011,
        "the redirect URI does not match the app registration: add it under Authentication, or pass the registered one with --redirect-uri",
    ),
    (
        700082,
        "the refresh token expired after a long time unused: sign in again with `entra-token device-code` or `entra-token auth-code`",
    ),
    (
        70008,
        "the refresh token or code has expired: sign in again with `entra-token device-code` or `entra-token auth-code`",
    ),
    (
        50173,
        "the grant was revoked (a password change, a sign-out, or a rotated refresh token was reused): sign in again with `entra-token device-code` or `entra-token auth-code`",
    ),
    (
        50105,
        "the signed-in user is not assigned to this application: ask an administrator to assign the user",
    ),
    (50126, "the user name or password is wrong"),
    (
        50196,
        "Entra detected a request loop and throttled this client: let the token cache work (avoid --no-cache and --force-refresh in loops) and try again later",
    ),
    (
        50097,
        "device authentication is required by policy: sign in from a registered device",
    ),
];

fn aadsts_in(text: &str) -> Option<u64> {
    let rest = &text[text.find("AADSTS")? + 6..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_SECRET: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 0c1e\r\nCorrelation ID: 5f2a\r\nTimestamp: 2026-11-23 12:00:00Z","error_codes":[7000215],"timestamp":"2026-11-23 12:00:00Z","trace_id":"0c1e","correlation_id":"5f2a","error_uri":"https://login.microsoftonline.com/error?code=7000215"}"#;

    #[test]
    fn keeps_code_first_line_and_ids() {
        let e = EntraError::from_body(401, BAD_SECRET.as_bytes()).unwrap();
        assert_eq!(e.error, "invalid_client");
        assert_eq!(e.codes, vec![7000215]);
        assert_eq!(
            e.summary(),
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value."
        );
        assert_eq!(e.trace_id.as_deref(), Some("0c1e"));
        assert_eq!(e.correlation_id.as_deref(), Some("5f2a"));
        assert!(e.hint().unwrap().contains("Secret ID"));
    }

    #[test]
    fn codes_are_read_from_the_description_when_error_codes_is_missing() {
        let body = br#"{"error":"invalid_request","error_description":"AADSTS90002: Tenant 'x' not found."}"#;
        let e = EntraError::from_body(400, body).unwrap();
        assert_eq!(e.codes, vec![90002]);
        assert!(e.hint().unwrap().contains("--tenant"));
    }

    #[test]
    fn plain_oauth_errors_without_codes_still_parse() {
        let e = EntraError::from_body(400, br#"{"error":"invalid_scope"}"#).unwrap();
        assert_eq!(e.summary(), "invalid_scope");
        assert_eq!(e.hint(), None);
    }

    #[test]
    fn summary_prefixes_codes_when_description_lacks_them() {
        let body = br#"{"error":"x","error_description":"Something failed","error_codes":[50076]}"#;
        let e = EntraError::from_body(400, body).unwrap();
        assert_eq!(e.summary(), "AADSTS50076: Something failed");
    }

    #[test]
    fn any_invalid_grant_of_a_refresh_token_hints_at_signing_in_again() {
        let body = br#"{"error":"invalid_grant","error_description":"AADSTS70000: The refresh token was issued to another client.","error_codes":[70000]}"#;
        let e = EntraError::from_body(400, body).unwrap();
        assert_eq!(e.hint(), None);
        assert_eq!(e.hint_for("the client credentials"), None);
        assert!(
            e.hint_for("the refresh token")
                .unwrap()
                .contains("sign in again")
        );
        let revoked =
            EntraError::from_body(400, br#"{"error":"invalid_grant","error_codes":[50173]}"#)
                .unwrap();
        assert!(
            revoked
                .hint_for("the refresh token")
                .unwrap()
                .contains("a rotated refresh token was reused")
        );
    }

    #[test]
    fn non_error_bodies_are_not_entra_errors() {
        assert!(EntraError::from_body(400, b"<html>").is_none());
        assert!(EntraError::from_body(400, br#"{"error":""}"#).is_none());
        assert!(EntraError::from_body(400, br#"{"access_token":"x"}"#).is_none());
    }

    #[test]
    fn every_hint_is_explained_in_troubleshooting_md() {
        let doc = include_str!("../TROUBLESHOOTING.md");
        for (code, _) in HINTS {
            assert!(
                doc.contains(&format!("| AADSTS{code} |")),
                "AADSTS{code} is not in TROUBLESHOOTING.md"
            );
        }
    }

    #[test]
    fn every_hint_code_is_unique() {
        let mut codes: Vec<u64> = HINTS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), HINTS.len());
    }
}
