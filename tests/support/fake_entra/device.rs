//! The device authorization endpoint, and the device login page a person uses.

use super::*;

pub(super) fn device_code(
    state: &Shared,
    tenant: &str,
    v2: bool,
    form: &[(String, String)],
    headers: &HeaderMap,
    host: &str,
    violation: &dyn Fn(String),
) -> Response {
    let field = |name: &str| first(form, name);
    for (k, _) in form {
        if !["client_id", "scope", "resource", "claims"].contains(&k.as_str()) {
            violation(format!(
                "unexpected form field {k} in a device code request"
            ));
        }
    }
    if resolve_tenant(tenant).is_none() && !matches!(tenant, "common" | "organizations") {
        return entra_error(
            400,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found."),
            headers,
        );
    }
    let Some(client_id) = field("client_id") else {
        return entra_error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
            headers,
        );
    };
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    if !s.apps.iter().any(|a| a.client_id == client_id) {
        return entra_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
            headers,
        );
    }
    let target = if v2 {
        field("scope")
    } else {
        field("resource")
    };
    let Some(target) = target.filter(|t| !t.is_empty()) else {
        let name = if v2 { "scope" } else { "resource" };
        return entra_error(
            400,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
            headers,
        );
    };
    let device_code = format!("DAQABAAEAAAD{}", random_id().replace('-', ""));
    let user_code: String = random_id()
        .replace('-', "")
        .to_ascii_uppercase()
        .chars()
        .take(9)
        .collect();
    let (interval, expires_in) = (s.device_interval, s.device_expires_in);
    s.devices.insert(
        device_code.clone(),
        Device {
            client_id: client_id.to_owned(),
            user_code: user_code.clone(),
            target: target.to_owned(),
            v2,
            expires_at: std::time::Instant::now() + Duration::from_secs(expires_in),
            interval: Duration::from_secs(interval),
            last_poll: None,
            status: DeviceStatus::Pending,
            redeemed: false,
        },
    );
    let uri = format!("{}://{host}/devicelogin", s.scheme);
    let message = format!(
        "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
    );
    let body = if v2 {
        json!({"user_code": user_code, "device_code": device_code, "verification_uri": uri, "expires_in": expires_in, "interval": interval, "message": message})
    } else {
        json!({"user_code": user_code, "device_code": device_code, "verification_url": uri, "expires_in": expires_in.to_string(), "interval": interval.to_string(), "message": message})
    };
    json_response(200, &body, headers)
}

/// The page a person uses to enter the user code: form `code` and `action`
/// (`approve` or `decline`).
pub(super) fn device_login(state: &Shared, method: &Method, form: &[(String, String)]) -> Response {
    if *method == Method::GET {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Enter code (fake Entra)</title></head>\
             <body style=\"font-family:sans-serif;margin:3em\"><h1>Enter code</h1>\
             <p>Enter the code entra-token printed. You sign in as Adele Vance (a test user).</p>\
             <form method=\"post\"><input name=\"code\" autofocus> \
             <button name=\"action\" value=\"approve\">Sign in</button> \
             <button name=\"action\" value=\"decline\">Decline</button></form></body></html>",
        )
            .into_response();
    }
    let field = |name: &str| first(form, name);
    let code = field("code").unwrap_or_default();
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let Some(device) = s.devices.values_mut().find(|d| d.user_code == code) else {
        return (StatusCode::NOT_FOUND, "That code wasn't found.").into_response();
    };
    device.status = match field("action") {
        Some("decline") => DeviceStatus::Declined,
        _ => DeviceStatus::Approved,
    };
    (StatusCode::OK, "You have signed in on your other device.").into_response()
}
