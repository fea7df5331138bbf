//! The identity endpoints a platform offers instead of a stored secret: IMDS, App
//! Service, Azure ML, Cloud Shell, Azure Arc (challenge + key file), Service Fabric (on
//! a TLS fake) and the Azure Pipelines OIDC endpoint. Each checks what the real one checks
//! (its header, its api-version, at most one selector of the names it knows) and answers
//! in its own shape; tokens it mints for the exchange audience are ones Entra trusts.

use super::*;

/// Which endpoint a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Imds,
    AppService,
    AzureMl,
    CloudShell,
    Arc,
    ServiceFabric,
}

impl IdentityKind {
    fn api_version(self) -> Option<&'static str> {
        match self {
            Self::Imds => Some("2018-02-01"),
            Self::AppService => Some("2019-08-01"),
            Self::AzureMl => Some("2017-09-01"),
            Self::CloudShell => None,
            Self::Arc => Some("2020-06-01"),
            Self::ServiceFabric => Some("2019-07-01-preview"),
        }
    }

    /// The selector names the endpoint knows.
    fn selectors(self) -> &'static [&'static str] {
        match self {
            Self::Imds | Self::Arc => &["client_id", "object_id", "msi_res_id"],
            Self::AppService => &["client_id", "object_id", "principal_id", "mi_res_id"],
            Self::AzureMl => &["clientid"],
            Self::CloudShell | Self::ServiceFabric => &[],
        }
    }

    /// An error in the endpoint's own shape.
    fn error(self, status: u16, code: &str, message: &str) -> Response {
        let body = match self {
            Self::AppService => json!({"statusCode": status, "message": message}),
            Self::ServiceFabric | Self::CloudShell => {
                json!({"error": {"correlationId": random_id(), "code": code, "message": message}})
            }
            _ => json!({"error": code, "error_description": message}),
        };
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// How a managed identity answer writes `expires_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryForm {
    /// The endpoint's usual form.
    Usual,
    /// `06/20/2019 02:57:58 +00:00` (App Service 2017 on Linux).
    LinuxDate,
    /// `1/16/2020 5:24:12 AM +00:00` (App Service 2017 on Windows).
    WindowsDate,
}

/// `M/D/YYYY H:MM:SS [AM|PM] +00:00`.
fn date_form(unix: u64, form: ExpiryForm) -> String {
    let s = chrono_like(unix);
    let (y, mo, d, h, mi, se) = s;
    match form {
        ExpiryForm::LinuxDate => format!("{mo:02}/{d:02}/{y} {h:02}:{mi:02}:{se:02} +00:00"),
        _ => {
            let (h12, ampm) = match h {
                0 => (12, "AM"),
                1..=11 => (h, "AM"),
                12 => (12, "PM"),
                _ => (h - 12, "PM"),
            };
            format!("{mo}/{d}/{y} {h12}:{mi:02}:{se:02} {ampm} +00:00")
        }
    }
}

/// (year, month, day, hour, minute, second) of Unix seconds, UTC.
fn chrono_like(unix: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        ((secs % 3600) / 60) as u32,
        (secs % 60) as u32,
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn identity(
    state: &Shared,
    kind: IdentityKind,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    form: &[(String, String)],
    violation: &dyn Fn(String),
) -> Response {
    let lock = || state.lock().unwrap_or_else(|p| p.into_inner());
    let fault = lock().identity_faults.pop_front();
    if let Some(Fault::Status {
        status,
        retry_after,
    }) = fault
    {
        let mut resp = kind.error(status, "transient", "A transient error has occurred.");
        if let Some(ra) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
            resp.headers_mut().insert(header::RETRY_AFTER, ra);
        }
        return resp;
    }
    let query = query_of(uri);
    let q = |name: &str| first(&query, name);
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let expected_method = if kind == IdentityKind::CloudShell {
        Method::POST
    } else {
        Method::GET
    };
    if *method != expected_method {
        violation(format!("{method} to the {kind:?} identity endpoint"));
        return kind.error(405, "method_not_allowed", "Method not allowed.");
    }
    // The header each endpoint demands.
    let authorized = match kind {
        IdentityKind::Imds | IdentityKind::Arc | IdentityKind::CloudShell => {
            header_value("metadata") == Some("true")
        }
        IdentityKind::AppService => {
            header_value("x-identity-header") == Some(IDENTITY_HEADER_VALUE)
        }
        IdentityKind::ServiceFabric => header_value("secret") == Some(IDENTITY_HEADER_VALUE),
        IdentityKind::AzureMl => header_value("secret") == Some(MSI_SECRET_VALUE),
    };
    if !authorized {
        violation(format!("{kind:?} request without its header"));
        return match kind {
            IdentityKind::Imds | IdentityKind::Arc | IdentityKind::CloudShell => kind.error(
                400,
                "bad_request_102",
                "Required metadata header not specified",
            ),
            IdentityKind::ServiceFabric => kind.error(
                401,
                "SecretHeaderNotFound",
                "Secret is not found in the request headers.",
            ),
            _ => kind.error(
                401,
                "unauthorized",
                "The identity header is missing or wrong.",
            ),
        };
    }
    if let Some(version) = kind.api_version()
        && q("api-version") != Some(version)
    {
        violation(format!(
            "{kind:?} request with api-version {:?}",
            q("api-version")
        ));
        return kind.error(400, "invalid_request", "The api-version is not supported.");
    }
    let resource = if kind == IdentityKind::CloudShell {
        form.iter()
            .find(|(k, _)| k == "resource")
            .map(|(_, v)| v.clone())
    } else {
        q("resource").map(str::to_owned)
    };
    let Some(resource) = resource.filter(|r| !r.is_empty()) else {
        violation(format!("{kind:?} request without resource"));
        return kind.error(
            400,
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    let known = ["api-version", "resource"];
    for (k, _) in &query {
        if !known.contains(&k.as_str()) && !kind.selectors().contains(&k.as_str()) {
            violation(format!("unexpected {kind:?} query parameter {k}"));
        }
    }
    let selectors: Vec<(&str, &str)> = query
        .iter()
        .filter(|(k, _)| kind.selectors().contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if selectors.len() > 1 {
        violation(format!("{kind:?} request with several selectors"));
        return kind.error(400, "invalid_request", "Only one identity may be named.");
    }
    // The identities: the system-assigned one and one user-assigned identity.
    let (client_id, object_id) = match selectors.first() {
        None => (SYSTEM_MI_CLIENT_ID, SYSTEM_MI_OBJECT_ID),
        Some((_, v))
            if v.eq_ignore_ascii_case(UAMI_CLIENT_ID)
                || v.eq_ignore_ascii_case(UAMI_OBJECT_ID)
                || v.eq_ignore_ascii_case(UAMI_RESOURCE_ID) =>
        {
            (UAMI_CLIENT_ID, UAMI_OBJECT_ID)
        }
        Some(_) => {
            return kind.error(400, "invalid_request", "Identity not found");
        }
    };
    if kind == IdentityKind::Arc {
        let (key_path, key) = lock().arc_key.clone();
        match header_value("authorization") {
            None => {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, format!("Basic realm={key_path}"))],
                    "",
                )
                    .into_response();
            }
            Some(a) if a == format!("Basic {key}") => {}
            Some(_) => {
                violation("Arc request with a wrong key".into());
                return kind.error(401, "unauthorized", "The key is wrong.");
            }
        }
    }
    let (lifetime, form) = {
        let mut s = lock();
        s.issued += 1;
        (s.mi_lifetime, s.expiry_form)
    };
    let issued_at = now();
    let exchange = resource.starts_with("api://AzureADTokenExchange");
    let token = mint_jwt(&json!({
        "aud": resource,
        "iss": if exchange {
            format!("https://login.microsoftonline.com/{TENANT_ID}/v2.0")
        } else {
            format!("https://sts.windows.net/{TENANT_ID}/")
        },
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "oid": object_id,
        "sub": object_id,
        "appid": client_id,
        "tid": TENANT_ID,
        "xms_mirid": if client_id == UAMI_CLIENT_ID { UAMI_RESOURCE_ID } else { "/subscriptions/fake/system" },
        "uti": random_id(),
    }));
    if exchange {
        lock().federated_tokens.insert(token.clone());
    }
    let expires_on = issued_at + lifetime;
    let expires_on_value = match form {
        ExpiryForm::Usual => match kind {
            IdentityKind::AzureMl | IdentityKind::ServiceFabric => json!(expires_on),
            _ => json!(expires_on.to_string()),
        },
        other => json!(date_form(expires_on, other)),
    };
    let body = match kind {
        IdentityKind::Imds | IdentityKind::Arc => json!({
            "access_token": token,
            "refresh_token": "",
            "expires_in": lifetime.to_string(),
            "expires_on": expires_on.to_string(),
            "not_before": issued_at.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
        IdentityKind::CloudShell => json!({
            "access_token": token,
            "expires_in": lifetime.to_string(),
            "expires_on": expires_on.to_string(),
            "token_type": "Bearer",
        }),
        IdentityKind::AppService => json!({
            "access_token": token,
            "expires_on": expires_on_value,
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }),
        IdentityKind::AzureMl | IdentityKind::ServiceFabric => json!({
            "access_token": token,
            "expires_on": expires_on_value,
            "resource": resource,
            "token_type": "Bearer",
        }),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Azure Pipelines' Oidctoken API: `POST ?api-version=7.1&serviceConnectionId=ID`.
pub(super) fn pipelines_oidc(
    state: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body_len: usize,
    violation: &dyn Fn(String),
) -> Response {
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let fault = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .identity_faults
        .pop_front();
    if let Some(Fault::Raw {
        status,
        content_type,
        body,
    }) = fault
    {
        return (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::LOCATION,
                    "https://spsprodeus27.vssps.visualstudio.com/_signin".to_owned(),
                ),
                (
                    header::HeaderName::from_static("x-vss-e2eid"),
                    "e2e-5678".to_owned(),
                ),
            ],
            body,
        )
            .into_response();
    }
    if *method != Method::POST {
        violation(format!("{method} to the Azure Pipelines OIDC endpoint"));
    }
    if body_len != 0 {
        violation("Azure Pipelines OIDC request with a body".into());
    }
    if header_value("content-type") != Some("application/json") {
        violation("Azure Pipelines OIDC request without Content-Type: application/json".into());
    }
    let query = query_of(uri);
    let q = |name: &str| first(&query, name);
    if q("api-version") != Some("7.1") {
        violation(format!("api-version {:?}", q("api-version")));
    }
    let with_ids = |status: StatusCode, body: String| {
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (
                    header::HeaderName::from_static("x-vss-e2eid"),
                    "e2e-1234".to_owned(),
                ),
                (
                    header::HeaderName::from_static("x-msedge-ref"),
                    "Ref A: 42".to_owned(),
                ),
            ],
            body,
        )
            .into_response()
    };
    if header_value("authorization") != Some(&format!("Bearer {PIPELINES_ACCESS_TOKEN}")) {
        if header_value("x-tfs-fedauthredirect") != Some("Suppress") {
            violation(
                "Azure Pipelines OIDC request without X-TFS-FedAuthRedirect: Suppress".into(),
            );
            return (
                StatusCode::FOUND,
                [(
                    header::LOCATION,
                    "https://spsprodeus27.vssps.visualstudio.com/_signin",
                )],
                "",
            )
                .into_response();
        }
        return with_ids(
            StatusCode::UNAUTHORIZED,
            json!({"message": "TF400813: The user is not authorized to access this resource."})
                .to_string(),
        );
    }
    if q("serviceConnectionId") != Some(PIPELINES_CONNECTION_ID) {
        return with_ids(
            StatusCode::BAD_REQUEST,
            json!({"count": 1, "value": format!(
                "There is no explicit reference to service connection {} from current stage.",
                q("serviceConnectionId").unwrap_or_default()
            )})
            .to_string(),
        );
    }
    let token = mint_federated(
        state,
        PIPELINES_ISSUER,
        PIPELINES_SUBJECT,
        FEDERATED_AUDIENCE,
        600,
    );
    with_ids(StatusCode::OK, json!({"oidcToken": token}).to_string())
}
