//! The token endpoint: one [`Grant`] parsed from the form, the checks Entra makes on
//! every request (fields per grant, client, client authentication), one function per
//! grant, and the answer in Entra's shape (v1 numbers as strings).

use super::assertion::{Refusal, verify_assertion};
use super::*;

/// The grant of a token request, parsed once from the form with the fields it needs.
#[derive(Debug, Clone, Copy)]
enum Grant<'a> {
    ClientCredentials,
    /// v2 `urn:ietf:params:oauth:grant-type:device_code` + `device_code`; v1
    /// `device_code` + `code`.
    DeviceCode {
        code: &'a str,
    },
    AuthorizationCode {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
    },
    RefreshToken {
        refresh_token: &'a str,
    },
}

impl<'a> Grant<'a> {
    /// The grant of `grant_type`, with its required fields; `Err` is Entra's answer
    /// (unsupported grant, or a required field missing).
    fn parse(
        grant_type: &str,
        v2: bool,
        field: &dyn Fn(&str) -> Option<&'a str>,
        headers: &HeaderMap,
        violation: &dyn Fn(String),
    ) -> Result<Self, Refusal> {
        let missing = |names: &str| -> Refusal {
            Box::new(entra_error(
                400,
                "invalid_request",
                900144,
                &format!("The request body must contain the following parameter: {names}."),
                headers,
            ))
        };
        match grant_type {
            "client_credentials" => Ok(Self::ClientCredentials),
            "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => {
                if (grant_type == "device_code") == v2 {
                    violation(format!(
                        "device code grant_type {grant_type} sent to the {} endpoint",
                        if v2 { "v2" } else { "v1" }
                    ));
                }
                let name = if v2 { "device_code" } else { "code" };
                let code = field(name).ok_or_else(|| missing(&format!("'{name}'")))?;
                Ok(Self::DeviceCode { code })
            }
            "authorization_code" => {
                match (field("code"), field("redirect_uri"), field("code_verifier")) {
                    (Some(code), Some(redirect_uri), Some(verifier)) => {
                        Ok(Self::AuthorizationCode {
                            code,
                            redirect_uri,
                            verifier,
                        })
                    }
                    _ => {
                        violation(
                            "authorization_code without code, redirect_uri or code_verifier".into(),
                        );
                        Err(missing("'code', 'redirect_uri', 'code_verifier'"))
                    }
                }
            }
            "refresh_token" => Ok(Self::RefreshToken {
                refresh_token: field("refresh_token").ok_or_else(|| missing("'refresh_token'"))?,
            }),
            other => Err(Box::new(entra_error(
                400,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
                headers,
            ))),
        }
    }

    /// Fields the grant may carry, beyond client authentication.
    fn allowed_fields(self) -> &'static [&'static str] {
        match self {
            Self::ClientCredentials => &["grant_type", "client_id", "scope", "resource", "claims"],
            Self::DeviceCode { .. } => &[
                "grant_type",
                "client_id",
                "device_code",
                "code",
                "scope",
                "resource",
                "claims",
            ],
            Self::AuthorizationCode { .. } => &[
                "grant_type",
                "client_id",
                "code",
                "redirect_uri",
                "code_verifier",
                "scope",
                "resource",
                "claims",
            ],
            Self::RefreshToken { .. } => &[
                "grant_type",
                "client_id",
                "refresh_token",
                "scope",
                "resource",
                "claims",
            ],
        }
    }

    /// Whether the request needs a scope or resource of its own.
    fn needs_target(self) -> bool {
        matches!(self, Self::ClientCredentials | Self::DeviceCode { .. })
    }
}

const CLIENT_AUTH_FIELDS: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

/// What a grant grants: the target of the token, and whether a user is behind it.
struct Granted {
    target: String,
    user: bool,
}

/// What every grant function sees of the request.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    state: &'a Shared,
    v2: bool,
    client_id: &'a str,
    target: Option<&'a str>,
    headers: &'a HeaderMap,
    violation: &'a dyn Fn(String),
}

impl Ctx<'_> {
    fn lock(&self) -> MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An Entra-shaped refusal of the grant.
    fn refuse(&self, status: u16, error: &str, code: u64, msg: &str) -> Result<Granted, Refusal> {
        Err(Box::new(entra_error(
            status,
            error,
            code,
            msg,
            self.headers,
        )))
    }
}

/// The token endpoint: resolves the tenant (the multi-tenant aliases resolve to the fake's
/// one directory for delegated grants), then `issue` does the rest.
#[allow(clippy::too_many_arguments)]
pub(super) fn token(
    state: &Shared,
    tenant: &str,
    v2: bool,
    form: &[(String, String)],
    headers: &HeaderMap,
    token_url: &str,
    violation: &dyn Fn(String),
) -> Response {
    let tenant_id = match resolve_tenant(tenant) {
        Some(id) => id,
        None if matches!(tenant, "common" | "organizations" | "consumers") => {
            let app_only = form
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "client_credentials");
            if app_only {
                return entra_error(
                    400,
                    "invalid_request",
                    50059,
                    "No tenant-identifying information found in either the request or implied by any provided credentials.",
                    headers,
                );
            }
            TENANT_ID
        }
        None => {
            return entra_error(
                400,
                "invalid_request",
                90002,
                &format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
                ),
                headers,
            );
        }
    };
    issue(state, tenant_id, v2, form, headers, token_url, violation)
}

#[allow(clippy::too_many_arguments)]
fn issue(
    state: &Shared,
    tenant_id: &str,
    v2: bool,
    form: &[(String, String)],
    headers: &HeaderMap,
    token_url: &str,
    violation: &dyn Fn(String),
) -> Response {
    let field = |name: &str| first(form, name);
    let err = |status: u16, error: &str, code: u64, msg: &str| {
        entra_error(status, error, code, msg, headers)
    };
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    let mut seen = std::collections::HashSet::new();
    for (k, _) in form {
        if !seen.insert(k.as_str()) {
            violation(format!("form field {k} sent twice"));
        }
    }

    let Some(grant_type) = field("grant_type") else {
        return err(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    let grant = match Grant::parse(grant_type, v2, &field, headers, violation) {
        Ok(g) => g,
        Err(answer) => return *answer,
    };
    let allowed = grant.allowed_fields();
    for (k, _) in form {
        if !allowed.contains(&k.as_str()) && !CLIENT_AUTH_FIELDS.contains(&k.as_str()) {
            violation(format!("unexpected form field {k} for grant {grant_type}"));
        }
    }
    if v2 && field("resource").is_some() {
        return err(
            400,
            "invalid_request",
            901002,
            "The 'resource' request parameter is not supported.",
        );
    }
    if !v2 && field("scope").is_some() {
        violation("scope sent to the v1 endpoint".into());
    }
    let Some(client_id) = field("client_id") else {
        return err(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let target = if v2 {
        field("scope")
    } else {
        field("resource")
    };
    let target = target.filter(|t| !t.is_empty());
    if target.is_none() && grant.needs_target() {
        let name = if v2 { "scope" } else { "resource" };
        return err(
            400,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        );
    }
    if let Some(claims) = field("claims")
        && serde_json::from_str::<Value>(claims).is_err()
    {
        return err(
            400,
            "invalid_request",
            70011,
            "The provided value for the input parameter 'claims' is not valid.",
        );
    }
    let app = lock()
        .apps
        .iter()
        .find(|a| a.client_id == client_id)
        .cloned();
    let Some(app) = app else {
        return err(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant_id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        );
    };

    // Client authentication.
    match (field("client_secret"), field("client_assertion")) {
        (Some(_), Some(_)) => {
            return err(
                400,
                "invalid_request",
                90014,
                "Only one client credential may be sent.",
            );
        }
        (Some(_), None) | (None, Some(_)) if app.public_client => {
            return err(
                401,
                "invalid_client",
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            );
        }
        (Some(secret), None) => {
            if !app.secrets.iter().any(|s| s == secret) {
                return err(
                    401,
                    "invalid_client",
                    7000215,
                    &format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                );
            }
        }
        (None, Some(assertion)) => {
            if let Err(refusal) = verify_assertion(
                state,
                &app,
                assertion,
                field("client_assertion_type"),
                token_url,
                headers,
            ) {
                return *refusal;
            }
        }
        (None, None) if app.public_client && !matches!(grant, Grant::ClientCredentials) => {}
        (None, None) => {
            return err(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
    }

    let c = Ctx {
        state,
        v2,
        client_id,
        target,
        headers,
        violation,
    };
    let granted = match grant {
        Grant::ClientCredentials => client_credentials(&c),
        Grant::DeviceCode { code } => device_code(&c, code),
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => authorization_code(&c, code, redirect_uri, verifier),
        Grant::RefreshToken { refresh_token } => refresh_token_grant(&c, refresh_token),
    };
    let granted = match granted {
        Ok(g) => g,
        Err(answer) => return *answer,
    };

    let resource = if v2 {
        granted
            .target
            .split_whitespace()
            .find(|s| !matches!(*s, "openid" | "profile" | "offline_access" | "email"))
            .map(|s| match s.rsplit_once('/') {
                Some((res, _)) if s.contains("://") => res.to_owned(),
                _ => "https://graph.microsoft.com".to_owned(),
            })
            .unwrap_or_else(|| "https://graph.microsoft.com".to_owned())
    } else {
        granted.target.clone()
    };
    let lifetime = {
        let mut s = lock();
        s.issued += 1;
        s.lifetime
    };
    let issued_at = now();
    let mut claims = json!({
        "aud": resource,
        "iss": if v2 { format!("https://login.microsoftonline.com/{tenant_id}/v2.0") } else { format!("https://sts.windows.net/{tenant_id}/") },
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "appid": client_id,
        "azp": client_id,
        "tid": tenant_id,
        "uti": random_id(),
        "ver": if v2 { "2.0" } else { "1.0" },
    });
    if granted.user {
        claims["oid"] = USER_OID.into();
        claims["sub"] = USER_OID.into();
        claims["upn"] = USER_UPN.into();
        claims["name"] = "Adele Vance".into();
        claims["scp"] = granted
            .target
            .split_whitespace()
            .filter(|s| !matches!(*s, "openid" | "profile" | "offline_access"))
            .map(|s| s.rsplit('/').next().unwrap_or(s))
            .collect::<Vec<_>>()
            .join(" ")
            .into();
    } else {
        claims["oid"] = "5f6c0a8e-1d7b-4a3e-9a21-3c1f2b7d9e40".into();
        claims["sub"] = "5f6c0a8e-1d7b-4a3e-9a21-3c1f2b7d9e40".into();
        claims["idtyp"] = "app".into();
        claims["roles"] = json!(["User.Read.All"]);
    }
    let access_token = mint_jwt(&claims);
    let mut body = if v2 {
        json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
        })
    } else {
        json!({
            "token_type": "Bearer",
            "expires_in": lifetime.to_string(),
            "ext_expires_in": lifetime.to_string(),
            "expires_on": (issued_at + lifetime).to_string(),
            "not_before": issued_at.to_string(),
            "resource": resource,
            "access_token": access_token,
        })
    };
    if granted.user {
        let scope: Vec<&str> = granted
            .target
            .split_whitespace()
            .filter(|s| *s != "offline_access")
            .collect();
        if v2 {
            body["scope"] = scope.join(" ").into();
        } else {
            body["scope"] = "user_impersonation".into();
        }
        let offline = !v2
            || granted
                .target
                .split_whitespace()
                .any(|s| s == "offline_access");
        if offline {
            let rt = format!("0.AR8A{}", random_id().replace('-', ""));
            lock().refresh_tokens.insert(
                rt.clone(),
                IssuedRefresh {
                    client_id: client_id.to_owned(),
                    target: granted.target.clone(),
                    v2,
                    revoked: false,
                },
            );
            body["refresh_token"] = rt.into();
        }
        body["id_token"] = mint_jwt(&json!({
            "aud": client_id,
            "iss": format!("https://login.microsoftonline.com/{tenant_id}/v2.0"),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + 3600,
            "oid": USER_OID,
            "sub": USER_OID,
            "tid": tenant_id,
            "preferred_username": USER_UPN,
            "name": "Adele Vance",
            "ver": "2.0",
        }))
        .into();
    }
    json_response(200, &body, headers)
}

fn client_credentials(c: &Ctx<'_>) -> Result<Granted, Refusal> {
    #[allow(unused_variables)]
    let Ctx {
        v2,
        client_id,
        target,
        violation,
        ..
    } = *c;
    let target = target.unwrap_or_default();
    if v2 {
        let scopes: Vec<&str> = target.split_whitespace().collect();
        if scopes.len() != 1 || !scopes[0].ends_with("/.default") {
            return c.refuse(
                400,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {target} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            );
        }
    }
    let resource = target.trim_end_matches("/.default").trim_end_matches('/');
    if resource == CONSENT_RESOURCE && !c.lock().consented.contains(client_id) {
        return c.refuse(
            400,
            "invalid_grant",
            65001,
            &format!(
                "The user or administrator has not consented to use the application with ID '{client_id}' named 'Contoso Deploy'. Send an interactive authorization request for this user and resource."
            ),
        );
    }
    Ok(Granted {
        target: target.to_owned(),
        user: false,
    })
}

fn device_code(c: &Ctx<'_>, code: &str) -> Result<Granted, Refusal> {
    #[allow(unused_variables)]
    let Ctx {
        v2,
        client_id,
        target,
        violation,
        ..
    } = *c;
    let mut s = c.lock();
    let slow_down_now = std::mem::take(&mut s.slow_down_next);
    let Some(device) = s.devices.get_mut(code) else {
        return c.refuse(
            400,
            "bad_verification_code",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        );
    };
    if device.client_id != client_id {
        return c.refuse(
            400,
            "invalid_grant",
            70000,
            "The device code was issued to another client.",
        );
    }
    let now = std::time::Instant::now();
    if let Some(last) = device.last_poll
        && now.duration_since(last) + Duration::from_millis(250) < device.interval
    {
        let polled_after = now.duration_since(last);
        let interval = device.interval;
        device.interval += Duration::from_secs(5);
        device.last_poll = Some(now);
        drop(s);
        violation(format!(
            "device code polled after {polled_after:?}, interval is {interval:?}"
        ));
        return c.refuse(
            400,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too fast; slow down.",
        );
    }
    device.last_poll = Some(now);
    if now > device.expires_at {
        let error = if v2 { "expired_token" } else { "code_expired" };
        return c.refuse(400, error, 70019, "Verification code expired.");
    }
    if slow_down_now {
        device.interval += Duration::from_secs(5);
        return c.refuse(
            400,
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. Polling too fast; slow down.",
        );
    }
    match device.status {
        DeviceStatus::Pending => {
            return c.refuse(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is still pending. Continue polling.",
            );
        }
        DeviceStatus::Declined => {
            return c.refuse(
                400,
                "authorization_declined",
                70000,
                "The user declined to authorize the device.",
            );
        }
        DeviceStatus::Approved if device.redeemed => {
            return c.refuse(
                400,
                "invalid_grant",
                70000,
                "The device code has already been redeemed.",
            );
        }
        DeviceStatus::Approved => {}
    }
    if device.v2 != v2 {
        violation("device code redeemed at another endpoint version than it was issued".into());
    }
    device.redeemed = true;
    Ok(Granted {
        target: device.target.clone(),
        user: true,
    })
}

fn authorization_code(
    c: &Ctx<'_>,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Granted, Refusal> {
    #[allow(unused_variables)]
    let Ctx {
        v2,
        client_id,
        target,
        violation,
        ..
    } = *c;
    let mut s = c.lock();
    let Some(issued) = s.codes.get_mut(code) else {
        return c.refuse(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        );
    };
    if issued.redeemed {
        return c.refuse(
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        );
    }
    issued.redeemed = true;
    if issued.client_id != client_id {
        return c.refuse(
            400,
            "invalid_grant",
            70000,
            "The code was issued to another client.",
        );
    }
    if issued.redirect_uri != redirect_uri {
        return c.refuse(
            400,
            "invalid_grant",
            50148,
            &format!(
                "The redirect_uri '{redirect_uri}' does not match the redirect URI used in the authorization request."
            ),
        );
    }
    if crate_pkce_challenge(verifier) != issued.challenge {
        return c.refuse(
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    if issued.v2 != v2 {
        violation("authorization code redeemed at another endpoint version".into());
    }
    Ok(Granted {
        target: target
            .map(str::to_owned)
            .unwrap_or_else(|| issued.target.clone()),
        user: true,
    })
}

fn refresh_token_grant(c: &Ctx<'_>, rt: &str) -> Result<Granted, Refusal> {
    #[allow(unused_variables)]
    let Ctx {
        v2,
        client_id,
        target,
        violation,
        ..
    } = *c;
    let mut s = c.lock();
    let Some(issued) = s.refresh_tokens.get_mut(rt) else {
        return c.refuse(
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if issued.revoked {
        return c.refuse(
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        );
    }
    if issued.client_id != client_id {
        return c.refuse(
            400,
            "invalid_grant",
            70000,
            "The refresh token was issued to another client.",
        );
    }
    issued.revoked = true;
    let original = issued.target.clone();
    Ok(Granted {
        target: target.map(str::to_owned).unwrap_or(original),
        user: true,
    })
}

/// base64url(SHA-256(verifier)), as the authorize request's code_challenge.
fn crate_pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()))
}
