//! GitHub Actions' OIDC token endpoint, as the fake identity provider of federated tests.

use super::*;

pub(super) fn github_oidc(
    state: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    violation: &dyn Fn(String),
) -> Response {
    if method != Method::GET {
        violation(format!("{method} to the GitHub OIDC endpoint"));
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let authorized = auth.split_once(' ').is_some_and(|(scheme, token)| {
        scheme.eq_ignore_ascii_case("bearer") && token == GITHUB_REQUEST_TOKEN
    });
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"message":"Bad credentials"}"#,
        )
            .into_response();
    }
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if !query.iter().any(|(k, v)| k == "api-version" && v == "2.0") {
        violation("GitHub OIDC request lost its api-version=2.0".into());
    }
    let Some(audience) = query
        .iter()
        .find(|(k, _)| k == "audience")
        .map(|(_, v)| v.clone())
    else {
        violation("GitHub OIDC request without an audience".into());
        return (StatusCode::BAD_REQUEST, "").into_response();
    };
    let value = mint_federated(state, GITHUB_ISSUER, GITHUB_SUBJECT, &audience, 300);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"count": value.len(), "value": value}).to_string(),
    )
        .into_response()
}
