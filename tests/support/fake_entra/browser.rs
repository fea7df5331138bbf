//! What a browser meets: the authorize page and the admin consent page, acting as a
//! signed-in user (or administrator) and redirecting back.

use super::*;

/// The authorize endpoint, acting as a browser where the user is already signed in.
pub(super) fn authorize(
    state: &Shared,
    tenant: &str,
    v2: bool,
    uri: &Uri,
    violation: &dyn Fn(String),
) -> Response {
    let query = query_of(uri);
    let field = |name: &str| first(&query, name);
    if resolve_tenant(tenant).is_none() && !matches!(tenant, "common" | "organizations") {
        return bad_page(&format!("AADSTS90002: Tenant '{tenant}' not found."));
    }
    let known = [
        "client_id",
        "response_type",
        "redirect_uri",
        "response_mode",
        "scope",
        "resource",
        "state",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "login_hint",
        "domain_hint",
        "claims",
        "fake_action",
    ];
    for (k, _) in &query {
        if !known.contains(&k.as_str()) {
            violation(format!("unexpected authorize parameter {k}"));
        }
    }
    let client_id = field("client_id").unwrap_or_default();
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if !s.apps.iter().any(|a| a.client_id == client_id) {
        return bad_page(&format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found."
        ));
    }
    let redirect_uri = field("redirect_uri").unwrap_or_default().to_owned();
    if !redirect_registered(&redirect_uri) {
        return bad_page(&format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application."
        ));
    }
    if field("response_type") != Some("code") {
        violation(format!("response_type is {:?}", field("response_type")));
    }
    if field("response_mode").is_some_and(|m| m != "query") {
        violation("response_mode is not query".into());
    }
    let admin_consent = field("prompt") == Some("admin_consent");
    if admin_consent && v2 {
        return bad_page(
            "AADSTS90023: prompt=admin_consent is not supported on the v2.0 authorize endpoint; use /adminconsent.",
        );
    }
    // A v1 admin consent's code is never redeemed, so it needs no PKCE.
    if !admin_consent
        && (field("code_challenge_method") != Some("S256")
            || field("code_challenge").is_none_or(|c| c.len() != 43))
    {
        violation("authorize request without a PKCE S256 challenge".into());
        return bad_page(
            "AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    }
    let state_param = field("state").unwrap_or_default().to_owned();
    if state_param.len() < 16 {
        violation("authorize request without a random state".into());
    }
    let target = if v2 {
        field("scope")
    } else {
        field("resource")
    }
    .unwrap_or_default()
    .to_owned();
    let pages_ask = s.pages_ask;
    let user = match field("fake_action") {
        Some("approve") => BrowserUser::Approve,
        Some("decline") => BrowserUser::Decline,
        _ => s.browser_user,
    };
    drop(s);
    if pages_ask && field("fake_action").is_none() {
        return ask_page("Sign in to Contoso (fake Entra)", uri);
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = match user {
        BrowserUser::NotAdmin if admin_consent => consent_error(
            &redirect_uri,
            sep,
            "AADSTS90093: Contoso Deploy is requesting one or more permissions that you are not authorized to grant.",
            &state_param,
        ),
        BrowserUser::Decline | BrowserUser::NotAdmin => format!(
            "{redirect_uri}{sep}error=access_denied&error_description={}&state={}",
            form_urlencoded::byte_serialize(
                b"AADSTS65004: User declined to consent to access the app."
            )
            .collect::<String>(),
            form_urlencoded::byte_serialize(state_param.as_bytes()).collect::<String>()
        ),
        BrowserUser::Approve => {
            if admin_consent && target.trim_end_matches('/') == CONSENT_RESOURCE {
                state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .consented
                    .insert(client_id.to_owned());
            }
            let code = format!("1.AR8A{}", random_id().replace('-', ""));
            state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .codes
                .insert(
                    code.clone(),
                    IssuedCode {
                        client_id: client_id.to_owned(),
                        redirect_uri: redirect_uri.clone(),
                        challenge: field("code_challenge").unwrap_or_default().to_owned(),
                        target,
                        v2,
                        redeemed: false,
                    },
                );
            format!(
                "{redirect_uri}{sep}code={code}&state={}&session_state={}",
                form_urlencoded::byte_serialize(state_param.as_bytes()).collect::<String>(),
                random_id()
            )
        }
    };
    (StatusCode::FOUND, [(header::LOCATION, location)], "").into_response()
}

/// An `error=access_denied` redirect with an AADSTS description, as Entra words them.
pub(super) fn consent_error(redirect_uri: &str, sep: char, message: &str, state: &str) -> String {
    let description = format!(
        "{message}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
        random_id(),
        random_id(),
        httpdate::fmt_http_date(SystemTime::now())
    );
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    format!(
        "{redirect_uri}{sep}error=access_denied&error_description={}&state={}",
        enc(&description),
        enc(state)
    )
}

/// The v2 admin consent endpoint, acting as a browser where an administrator (or, by
/// [`BrowserUser`], a user who is not one) is signed in.
pub(super) fn admin_consent(
    state: &Shared,
    tenant: &str,
    uri: &Uri,
    violation: &dyn Fn(String),
) -> Response {
    let query = query_of(uri);
    let field = |name: &str| first(&query, name);
    for (k, _) in &query {
        if !["client_id", "scope", "redirect_uri", "state", "fake_action"].contains(&k.as_str()) {
            violation(format!("unexpected admin consent parameter {k}"));
        }
    }
    if resolve_tenant(tenant).is_none() && tenant != "organizations" {
        return bad_page(&format!("AADSTS90002: Tenant '{tenant}' not found."));
    }
    let client_id = field("client_id").unwrap_or_default();
    let user = {
        let s = state.lock().unwrap_or_else(|p| p.into_inner());
        if !s.apps.iter().any(|a| a.client_id == client_id) {
            return bad_page(&format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
            ));
        }
        if s.pages_ask && field("fake_action").is_none() {
            return ask_page("Grant admin consent (fake Entra)", uri);
        }
        match field("fake_action") {
            Some("approve") => BrowserUser::Approve,
            Some("decline") => BrowserUser::Decline,
            _ => s.browser_user,
        }
    };
    let redirect_uri = field("redirect_uri").unwrap_or_default().to_owned();
    if !redirect_registered(&redirect_uri) {
        return bad_page(&format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application."
        ));
    }
    let Some(scope) = field("scope").filter(|s| !s.trim().is_empty()) else {
        violation("admin consent request without scope".into());
        return bad_page(
            "AADSTS900144: The request body must contain the following parameter: 'scope'.",
        );
    };
    let state_param = field("state").unwrap_or_default().to_owned();
    if state_param.len() < 16 {
        violation("admin consent request without a random state".into());
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let location = match user {
        BrowserUser::Approve => {
            if scope
                .split_whitespace()
                .any(|s| s.starts_with(CONSENT_RESOURCE))
            {
                state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .consented
                    .insert(client_id.to_owned());
            }
            format!(
                "{redirect_uri}{sep}admin_consent=True&tenant={TENANT_ID}&scope={}&state={}",
                enc(scope),
                enc(&state_param)
            )
        }
        BrowserUser::Decline => consent_error(
            &redirect_uri,
            sep,
            "AADSTS65004: User declined to consent to access the app.",
            &state_param,
        ),
        BrowserUser::NotAdmin => consent_error(
            &redirect_uri,
            sep,
            "AADSTS90093: Contoso Deploy is requesting one or more permissions that you are not authorized to grant.",
            &state_param,
        ),
    };
    (StatusCode::FOUND, [(header::LOCATION, location)], "").into_response()
}

/// True for the registered redirect URIs (`http://localhost` matches any port and path).
pub(super) fn redirect_registered(redirect_uri: &str) -> bool {
    REDIRECT_URIS.iter().any(|r| {
        if *r == "http://localhost" {
            url::Url::parse(redirect_uri)
                .is_ok_and(|u| u.scheme() == "http" && u.host_str() == Some("localhost"))
        } else {
            *r == redirect_uri
        }
    })
}

/// A page that asks the person before redirecting (the example server): two links back to
/// the same URL with `fake_action=approve` or `decline`.
fn ask_page(title: &str, uri: &Uri) -> Response {
    let base = uri.to_string().replace('&', "&amp;").replace('"', "&quot;");
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1>\
         <p>You are signed in as Adele Vance (a test user).</p>\
         <p><a href=\"{base}&amp;fake_action=approve\">Accept</a> \
         &nbsp; <a href=\"{base}&amp;fake_action=decline\">Decline</a></p></body></html>"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// What Entra shows instead of redirecting: an error page (400).
fn bad_page(msg: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!("<html><body>{msg}</body></html>"),
    )
        .into_response()
}
