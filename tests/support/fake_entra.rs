//! A strict fake of Entra ID's token service, for tests and for `cargo run --example
//! fake-entra`.
//!
//! It checks what Entra checks (per-grant form fields, client authentication, tenants,
//! apps, scopes), answers in Entra's shapes (v1 numbers as strings, AADSTS error bodies
//! with trace and correlation ids), logs every request, and records a *violation* for
//! anything a well-behaved client would never send: a missing `client-request-id`, an
//! unknown form field, an unknown path. Dropping a fake with violations fails the test.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The fake's one directory.
pub const TENANT_ID: &str = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490";
/// A verified domain of that directory.
pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// A confidential app registered in it.
pub const CLIENT_ID: &str = "b6e4b7c2-6f3a-4a51-9a9e-0c7f4f5e2d11";
/// Its client secret. Has characters that need form encoding.
pub const CLIENT_SECRET: &str = "Fk8Q~s3cr3t+value/with=specials&more";
/// Test-only certificate fixtures (see tests/fixtures/certs/generate.sh).
pub const CERT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs");
/// The bearer token the fake GitHub OIDC endpoint wants.
pub const GITHUB_REQUEST_TOKEN: &str = "ghs_fake-request-token-for-tests";
/// The issuer of GitHub Actions OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The subject the app's GitHub federated credential trusts.
pub const GITHUB_SUBJECT: &str = "repo:contoso/deploy:ref:refs/heads/main";
/// An AKS cluster's OIDC issuer the app trusts.
pub const AKS_ISSUER: &str =
    "https://oidc.prod-aks.azure.com/3f1c8a52-0d7e-4b8e-9c61-2a4f5b6c7d8e/";
/// The service account the app's AKS federated credential trusts.
pub const AKS_SUBJECT: &str = "system:serviceaccount:payments:workload";
/// The audience Entra expects in federated tokens.
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";
/// A public client ("Allow public client flows" on) for delegated sign-in.
pub const PUBLIC_CLIENT_ID: &str = "3c1f2a9e-7b44-4d0e-8f6a-91d2c5e4b7a0";
/// An API in the directory that no app has consent for until an administrator grants it
/// (`admin-consent`): app-only tokens for it are refused with AADSTS65001 until then.
pub const CONSENT_RESOURCE: &str = "https://billing.contoso.example";
/// The user who signs in.
pub const USER_UPN: &str = "adele.vance@contoso.onmicrosoft.com";
/// That user's object ID.
pub const USER_OID: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
/// Redirect URIs registered for both apps (http://localhost matches any port).
pub const REDIRECT_URIS: [&str; 3] = [
    "http://localhost",
    "https://login.microsoftonline.com/common/oauth2/nativeclient",
    "urn:ietf:wg:oauth:2.0:oob",
];

/// What the person at the browser does when the fake's authorize page is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowserUser {
    /// Signs in and consents.
    Approve,
    /// Declines consent: the redirect carries error=access_denied.
    Decline,
    /// Is not an administrator: admin consent ends in error=access_denied (AADSTS90093).
    NotAdmin,
}

/// A scripted misbehaviour, applied to the next token-endpoint request instead of the
/// normal answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and an Entra-shaped JSON error, optionally `Retry-After`.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// HTTP 200 with an HTML page.
    Html,
    /// HTTP 200, JSON content type, body cut in the middle.
    Truncated,
    /// HTTP 200 with a 2 MiB JSON body.
    Oversized,
    /// Never answer.
    Hang,
    /// Wait, then answer normally.
    Delay(Duration),
    /// Answer with exactly this status, content type and body (a hostile server).
    Raw {
        status: u16,
        content_type: &'static str,
        body: String,
    },
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: std::time::Instant,
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    /// The first value of a form field.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A registered application.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    /// "Allow public client flows": token requests without a credential are accepted.
    pub public_client: bool,
    pub secrets: Vec<String>,
    /// DER certificates uploaded under Certificates & secrets.
    pub certificates: Vec<Vec<u8>>,
    /// Federated identity credentials: (issuer, subject, audience).
    pub federated: Vec<(String, String, String)>,
}

/// DER of a PEM certificate fixture.
pub fn fixture_cert_der(name: &str) -> Vec<u8> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let path = format!("{CERT_DIR}/{name}");
    CertificateDer::from_pem_file(&path)
        .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
        .as_ref()
        .to_vec()
}

struct State_ {
    apps: Vec<App>,
    faults: VecDeque<Fault>,
    /// Faults for the device authorization endpoint.
    device_faults: VecDeque<Fault>,
    log: Vec<Recorded>,
    violations: Vec<String>,
    /// Lifetime of issued access tokens, seconds.
    lifetime: u64,
    issued: u64,
    /// Print violations instead of failing (the example server).
    lenient: bool,
    /// "http" or "https": the expected `aud` of client assertions starts with it.
    scheme: &'static str,
    /// `jti`s of client assertions already redeemed.
    seen_jti: std::collections::HashSet<String>,
    /// Tokens this fake issued as an external identity provider (GitHub, AKS).
    federated_tokens: std::collections::HashSet<String>,
    /// Device codes by device_code.
    devices: HashMap<String, Device>,
    /// Interval and lifetime of new device codes, seconds.
    device_interval: u64,
    device_expires_in: u64,
    /// Answer the next device poll with slow_down.
    slow_down_next: bool,
    /// Authorization codes by code.
    codes: HashMap<String, IssuedCode>,
    /// What the browser user does.
    browser_user: BrowserUser,
    /// Refresh tokens by value.
    refresh_tokens: HashMap<String, IssuedRefresh>,
    /// Apps an administrator consented to [`CONSENT_RESOURCE`] for.
    consented: std::collections::HashSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved,
    Declined,
}

#[derive(Debug, Clone)]
struct Device {
    client_id: String,
    user_code: String,
    target: String,
    v2: bool,
    expires_at: std::time::Instant,
    interval: Duration,
    last_poll: Option<std::time::Instant>,
    status: DeviceStatus,
    redeemed: bool,
}

#[derive(Debug, Clone)]
struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    target: String,
    v2: bool,
    redeemed: bool,
}

#[derive(Debug, Clone)]
struct IssuedRefresh {
    client_id: String,
    target: String,
    v2: bool,
    revoked: bool,
}

type Shared = Arc<Mutex<State_>>;

/// A running fake on 127.0.0.1 with an ephemeral port.
pub struct FakeEntra {
    addr: SocketAddr,
    scheme: &'static str,
    state: Shared,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakeEntra {
    /// Starts a fake with one tenant and one confidential app.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("addr"), false)
    }

    /// Starts on a given address; `lenient` logs violations instead of failing.
    pub fn start_on(addr: SocketAddr, lenient: bool) -> Self {
        Self::start_with(addr, lenient, None)
    }

    /// Starts serving HTTPS with a PEM certificate chain and key (for benchmarks against
    /// curl on equal terms).
    pub fn start_tls(addr: SocketAddr, lenient: bool, cert_pem: &[u8], key_pem: &[u8]) -> Self {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<_, _>>()
            .expect("server certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(key_pem).expect("server key PEM");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server certificate and key");
        Self::start_with(addr, lenient, Some(Arc::new(config)))
    }

    fn start_with(addr: SocketAddr, lenient: bool, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let state = Arc::new(Mutex::new(State_ {
            apps: vec![
                App {
                    client_id: CLIENT_ID.into(),
                    public_client: false,
                    secrets: vec![CLIENT_SECRET.into()],
                    certificates: vec![
                        fixture_cert_der("app-cert.pem"),
                        fixture_cert_der("expired-cert.pem"),
                    ],
                    federated: vec![
                        (
                            GITHUB_ISSUER.into(),
                            GITHUB_SUBJECT.into(),
                            FEDERATED_AUDIENCE.into(),
                        ),
                        (
                            AKS_ISSUER.into(),
                            AKS_SUBJECT.into(),
                            FEDERATED_AUDIENCE.into(),
                        ),
                    ],
                },
                App {
                    client_id: PUBLIC_CLIENT_ID.into(),
                    public_client: true,
                    secrets: vec![],
                    certificates: vec![],
                    federated: vec![],
                },
            ],
            faults: VecDeque::new(),
            device_faults: VecDeque::new(),
            log: Vec::new(),
            violations: Vec::new(),
            lifetime: 3599,
            issued: 0,
            lenient,
            scheme: if tls.is_some() { "https" } else { "http" },
            seen_jti: Default::default(),
            federated_tokens: Default::default(),
            devices: HashMap::new(),
            device_interval: 1,
            device_expires_in: 900,
            slow_down_next: false,
            codes: HashMap::new(),
            browser_user: BrowserUser::Approve,
            refresh_tokens: HashMap::new(),
            consented: Default::default(),
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let tls_on = tls.is_some();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        match tls {
            None => {
                runtime.spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            Some(config) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                runtime.spawn(async move {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        // As production front ends do: no Nagle delay on responses.
                        let _ = tcp.set_nodelay(true);
                        let acceptor = acceptor.clone();
                        let app = app.clone();
                        tokio::spawn(async move {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let io = hyper_util::rt::TokioIo::new(tls);
                            let service = hyper_util::service::TowerToHyperService::new(app);
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(io, service)
                                .await;
                        });
                    }
                });
            }
        }
        let scheme = if tls_on { "https" } else { "http" };
        Self {
            addr,
            scheme,
            state,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT` (or https), for `--authority-host`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn lock(&self) -> MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a fault for the next token request.
    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Queues a fault for the next device authorization request.
    pub fn push_device_fault(&self, fault: Fault) {
        self.lock().device_faults.push_back(fault);
    }

    /// Sets the lifetime of access tokens issued from now on.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.lock().lifetime = secs;
    }

    /// Every request seen so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().log.clone()
    }

    /// Access tokens issued so far.
    pub fn issued(&self) -> u64 {
        self.lock().issued
    }

    /// Issues a token as an external identity provider, as GitHub or AKS would; the fake
    /// accepts it as a federated assertion when an app trusts (issuer, subject, audience).
    pub fn mint_federated_token(
        &self,
        issuer: &str,
        subject: &str,
        audience: &str,
        lifetime: i64,
    ) -> String {
        mint_federated(&self.state, issuer, subject, audience, lifetime)
    }

    /// Interval and lifetime (seconds) of device codes issued from now on.
    pub fn set_device_timing(&self, interval: u64, expires_in: u64) {
        let mut s = self.lock();
        s.device_interval = interval;
        s.device_expires_in = expires_in;
    }

    /// Answers the next device-code poll with `slow_down` (and adds 5 s to its interval).
    pub fn slow_down_next_poll(&self) {
        self.lock().slow_down_next = true;
    }

    /// What the person at the browser does on the authorize page.
    pub fn set_browser_user(&self, user: BrowserUser) {
        self.lock().browser_user = user;
    }

    /// Issues a refresh token directly, as if the user had signed in earlier.
    pub fn issue_refresh_token(&self, client_id: &str, target: &str, v2: bool) -> String {
        let rt = format!("0.AR8A{}", random_id().replace('-', ""));
        self.lock().refresh_tokens.insert(
            rt.clone(),
            IssuedRefresh {
                client_id: client_id.into(),
                target: target.into(),
                v2,
                revoked: false,
            },
        );
        rt
    }

    /// True when the refresh token exists and is not revoked.
    pub fn refresh_token_valid(&self, rt: &str) -> bool {
        self.lock()
            .refresh_tokens
            .get(rt)
            .is_some_and(|r| !r.revoked)
    }

    /// The URL GitHub Actions would put in ACTIONS_ID_TOKEN_REQUEST_URL.
    pub fn github_request_url(&self) -> String {
        format!("{}/_github/idtoken?api-version=2.0", self.url())
    }

    /// The token URL the fake expects as `aud` of client assertions.
    pub fn token_url(&self, tenant: &str, v2: bool) -> String {
        let version = if v2 { "v2.0/" } else { "" };
        format!("{}/{tenant}/oauth2/{version}token", self.url())
    }

    /// What the fake found wrong so far.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }
}

impl Drop for FakeEntra {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
        let v = self.violations();
        if !v.is_empty() && !std::thread::panicking() && !self.lock().lenient {
            panic!(
                "the fake Entra saw requests a client must not send:\n{}",
                v.join("\n")
            );
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn mint_federated(
    state: &Shared,
    issuer: &str,
    subject: &str,
    audience: &str,
    lifetime: i64,
) -> String {
    let now = now() as i64;
    let token = mint_jwt(&json!({
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": random_id(),
    }));
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .federated_tokens
        .insert(token.clone());
    token
}

/// Where a request went.
enum Endpoint {
    Token { tenant: String, v2: bool },
    DeviceCode { tenant: String, v2: bool },
    Authorize { tenant: String, v2: bool },
    AdminConsent { tenant: String },
    DeviceLogin,
    GitHubOidc,
    Stats,
}

fn route(path: &str) -> Option<Endpoint> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["_github", "idtoken"] => Some(Endpoint::GitHubOidc),
        ["devicelogin"] => Some(Endpoint::DeviceLogin),
        ["_fake", "stats"] => Some(Endpoint::Stats),
        [tenant, "v2.0", "adminconsent"] => Some(Endpoint::AdminConsent {
            tenant: (*tenant).to_owned(),
        }),
        [tenant, "oauth2", "v2.0", leaf] => oauth2_endpoint(tenant, true, leaf),
        [tenant, "oauth2", leaf] => oauth2_endpoint(tenant, false, leaf),
        _ => None,
    }
}

/// `/{tenant}/oauth2/[v2.0/]{leaf}`.
fn oauth2_endpoint(tenant: &str, v2: bool, leaf: &str) -> Option<Endpoint> {
    let tenant = tenant.to_owned();
    match leaf {
        "token" => Some(Endpoint::Token { tenant, v2 }),
        "devicecode" => Some(Endpoint::DeviceCode { tenant, v2 }),
        "authorize" => Some(Endpoint::Authorize { tenant, v2 }),
        _ => None,
    }
}

/// An Entra-shaped error answer.
fn entra_error(
    status: u16,
    error: &str,
    code: u64,
    message: &str,
    headers: &HeaderMap,
) -> Response {
    let trace = random_id();
    let correlation = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(random_id);
    let ts = httpdate::fmt_http_date(SystemTime::now());
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}"
        ),
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    json_response(status, &body, headers)
}

fn json_response(status: u16, body: &Value, req_headers: &HeaderMap) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&random_id()) {
        h.insert("x-ms-request-id", v);
    }
    if req_headers
        .get("return-client-request-id")
        .is_some_and(|v| v == "true")
        && let Some(crid) = req_headers.get("client-request-id")
    {
        h.insert("client-request-id", crid.clone());
    }
    resp
}

async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let recorded = Recorded {
        at: std::time::Instant::now(),
        method: method.to_string(),
        path: uri.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        form: form.clone(),
    };
    let fault = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.log.push(recorded);
        match route(&path) {
            Some(Endpoint::Token { .. }) => s.faults.pop_front(),
            Some(Endpoint::DeviceCode { .. }) => s.device_faults.pop_front(),
            _ => None,
        }
    };
    let violation = |msg: String| {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        if s.lenient {
            eprintln!("fake-entra: violation: {msg}");
        }
        s.violations.push(msg);
    };

    let Some(endpoint) = route(&path) else {
        violation(format!("unexpected request: {method} {uri}"));
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };

    // What every request from entra-token must carry (browser pages excepted).
    let from_tool = !matches!(
        endpoint,
        Endpoint::Authorize { .. }
            | Endpoint::AdminConsent { .. }
            | Endpoint::DeviceLogin
            | Endpoint::Stats
    );
    match headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
    {
        Some(id) if uuid::Uuid::parse_str(id).is_ok() => {}
        _ if !from_tool => {}
        other => violation(format!("client-request-id is not a UUID: {other:?}")),
    }
    if from_tool
        && headers
            .get("return-client-request-id")
            .is_none_or(|v| v != "true")
    {
        violation("return-client-request-id: true is missing".into());
    }
    if from_tool
        && !headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ua| ua.starts_with("entra-token/"))
    {
        violation("User-Agent is not entra-token/<version>".into());
    }

    if let Some(fault) = fault {
        match fault {
            Fault::Status {
                status,
                retry_after,
            } => {
                let mut resp = entra_error(
                    status,
                    "temporarily_unavailable",
                    if status == 429 { 50196 } else { 90033 },
                    "A transient error has occurred. Please try again.",
                    &headers,
                );
                if let Some(ra) = retry_after.and_then(|r| HeaderValue::from_str(&r).ok()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, ra);
                }
                return resp;
            }
            Fault::Html => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<html><body>Sign in to your account</body></html>",
                )
                    .into_response();
            }
            Fault::Truncated => {
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                    r#"{"token_type":"Bearer","expires_in":3599,"access_tok"#,
                )
                    .into_response();
            }
            Fault::Oversized => {
                let padding = "x".repeat(2 * 1024 * 1024);
                return (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                    format!(r#"{{"token_type":"Bearer","padding":"{padding}"}}"#),
                )
                    .into_response();
            }
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::Raw {
                status,
                content_type,
                body,
            } => {
                return (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                    [(header::CONTENT_TYPE, content_type)],
                    body,
                )
                    .into_response();
            }
        }
    }

    match endpoint {
        Endpoint::GitHubOidc => github_oidc(&state, &method, &uri, &headers, &violation),
        Endpoint::DeviceLogin => device_login(&state, &form),
        Endpoint::Stats => {
            let s = state.lock().unwrap_or_else(|p| p.into_inner());
            let token_requests = s.log.iter().filter(|r| r.path.contains("/token")).count();
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"requests": s.log.len(), "token_requests": token_requests, "issued": s.issued, "violations": s.violations.len()}).to_string(),
            )
                .into_response()
        }
        Endpoint::DeviceCode { tenant, v2 } => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            device_code(&state, &tenant, v2, &form, &headers, &host, &violation)
        }
        Endpoint::Authorize { tenant, v2 } => authorize(&state, &tenant, v2, &uri, &violation),
        Endpoint::AdminConsent { tenant } => admin_consent(&state, &tenant, &uri, &violation),
        Endpoint::Token { tenant, v2 } => {
            if method != Method::POST {
                violation(format!("{method} to the token endpoint"));
                return (StatusCode::METHOD_NOT_ALLOWED, "").into_response();
            }
            let ct = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !ct.starts_with("application/x-www-form-urlencoded") {
                violation(format!("token request with content type {ct:?}"));
            }
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let scheme = state.lock().unwrap_or_else(|p| p.into_inner()).scheme;
            let token_url = format!("{scheme}://{host}{path}");
            token(&state, &tenant, v2, &form, &headers, &token_url, &violation)
        }
    }
}

fn resolve_tenant(tenant: &str) -> Option<&'static str> {
    let t = tenant.to_ascii_lowercase();
    (t == TENANT_ID || t == TENANT_DOMAIN).then_some(TENANT_ID)
}

/// Fields each grant may carry, beyond client authentication.
fn allowed_fields(grant: &str) -> &'static [&'static str] {
    match grant {
        "client_credentials" => &["grant_type", "client_id", "scope", "resource", "claims"],
        "urn:ietf:params:oauth:grant-type:device_code" => {
            &["grant_type", "client_id", "device_code", "scope", "claims"]
        }
        "device_code" => &["grant_type", "client_id", "code", "resource", "claims"],
        "authorization_code" => &[
            "grant_type",
            "client_id",
            "code",
            "redirect_uri",
            "code_verifier",
            "scope",
            "resource",
            "claims",
        ],
        "refresh_token" => &[
            "grant_type",
            "client_id",
            "refresh_token",
            "scope",
            "resource",
            "claims",
        ],
        _ => &[],
    }
}

const CLIENT_AUTH_FIELDS: &[&str] = &["client_secret", "client_assertion", "client_assertion_type"];

fn github_oidc(
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

type Refusal = Box<Response>;

/// Verifies a client assertion as Entra does. Certificate-signed assertions (iss = the
/// client) are checked against the app's certificates; anything else is a federated
/// token, checked against the app's federated identity credentials.
fn verify_assertion(
    state: &Shared,
    app: &App,
    assertion: &str,
    assertion_type: Option<&str>,
    token_url: &str,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
    let refuse = |status: u16, error: &str, code: u64, msg: &str| -> Refusal {
        Box::new(entra_error(status, error, code, msg, headers))
    };
    if assertion_type != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return Err(refuse(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_assertion_type'.",
        ));
    }
    let malformed = || {
        refuse(
            400,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    };
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| malformed())?;
    let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(assertion)
        .map_err(|_| malformed())?
        .claims;
    let iss = claims["iss"].as_str().unwrap_or_default();
    if iss != app.client_id {
        return verify_federated(state, app, assertion, &claims, headers);
    }

    // Certificate-signed assertion.
    let key_not_found = |thumb: &str| {
        refuse(
            401,
            "invalid_client",
            700027,
            &format!(
                "Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{thumb}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                app.client_id
            ),
        )
    };
    let strict_b64url = |s: &str| URL_SAFE_NO_PAD.decode(s).ok();
    let cert = if let Some(t) = header.x5t_s256.as_deref() {
        let digest = strict_b64url(t)
            .filter(|d| d.len() == 32)
            .ok_or_else(|| key_not_found(t))?;
        app.certificates
            .iter()
            .find(|c| <sha2::Sha256 as sha2::Digest>::digest(c)[..] == digest[..])
            .ok_or_else(|| key_not_found(t))?
    } else if let Some(t) = header.x5t.as_deref() {
        let digest = strict_b64url(t)
            .filter(|d| d.len() == 20)
            .ok_or_else(|| key_not_found(t))?;
        app.certificates
            .iter()
            .find(|c| <sha1::Sha1 as sha1::Digest>::digest(c)[..] == digest[..])
            .ok_or_else(|| key_not_found(t))?
    } else {
        return Err(key_not_found(""));
    };
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The algorithm is not supported.]",
        ));
    }
    if let Some(x5c) = &header.x5c {
        let first = x5c
            .first()
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok());
        if first.as_deref() != Some(cert.as_slice()) {
            return Err(refuse(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. [Reason - The first certificate in x5c does not match the thumbprint.]",
            ));
        }
    }
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).map_err(|_| malformed())?;
    if parsed.validity().not_after.timestamp() < now() as i64 {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The key used is expired.]",
        ));
    }
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = parsed.public_key().parsed() else {
        return Err(malformed());
    };
    let key = DecodingKey::from_rsa_raw_components(rsa.modulus, rsa.exponent);
    let mut v = Validation::new(header.alg);
    v.leeway = 300;
    v.set_audience(&[token_url]);
    v.set_issuer(&[&app.client_id]);
    v.sub = Some(app.client_id.clone());
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    v.validate_nbf = true;
    if let Err(e) = jsonwebtoken::decode::<Value>(assertion, &key, &v) {
        return Err(match e.kind() {
            ErrorKind::InvalidSignature => refuse(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation.",
            ),
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => refuse(
                401,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            ),
            ErrorKind::InvalidAudience => refuse(
                401,
                "invalid_client",
                700027,
                &format!(
                    "Client assertion audience claim does not match the token endpoint '{token_url}'."
                ),
            ),
            _ => malformed(),
        });
    }
    if claims["iat"].as_u64().is_none() {
        return Err(malformed());
    }
    // The exact AADSTS code Entra uses for a replayed jti is not documented; the fake
    // refuses it within the client-assertion family.
    let Some(jti) = claims["jti"].as_str().filter(|j| !j.is_empty()) else {
        return Err(malformed());
    };
    let fresh = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .seen_jti
        .insert(format!("{}/{jti}", app.client_id));
    if !fresh {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The jti has already been used.]",
        ));
    }
    Ok(())
}

fn verify_federated(
    state: &Shared,
    app: &App,
    assertion: &str,
    claims: &Value,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let refuse = |code: u64, msg: &str| -> Refusal {
        Box::new(entra_error(400, "invalid_client", code, msg, headers))
    };
    let known = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .federated_tokens
        .contains(assertion);
    if !known {
        return Err(refuse(
            50027,
            "JWT token is invalid or malformed. The signature of the federated token could not be validated against the issuer's keys.",
        ));
    }
    let iss = claims["iss"].as_str().unwrap_or_default();
    let sub = claims["sub"].as_str().unwrap_or_default();
    let aud = claims["aud"].as_str().unwrap_or_default();
    if claims["exp"]
        .as_i64()
        .is_none_or(|exp| exp + 300 < now() as i64)
    {
        return Err(refuse(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    let by_issuer: Vec<_> = app.federated.iter().filter(|(i, _, _)| i == iss).collect();
    if by_issuer.is_empty() {
        return Err(refuse(
            700211,
            &format!(
                "No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    let by_subject: Vec<_> = by_issuer.iter().filter(|(_, s, _)| s == sub).collect();
    if by_subject.is_empty() {
        return Err(refuse(
            700213,
            &format!(
                "No matching federated identity record found for presented assertion subject '{sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    if !by_subject.iter().any(|(_, _, a)| a == aud) {
        return Err(refuse(
            700212,
            &format!(
                "No matching federated identity record found for presented assertion audience '{aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    Ok(())
}

/// Where a grant leaves the request: the target granted, and whether a user signed in.
struct Granted {
    target: String,
    user: bool,
}

/// The token endpoint: resolves the tenant (the multi-tenant aliases resolve to the fake's
/// one directory for delegated grants), then `issue` does the rest.
#[allow(clippy::too_many_arguments)]
fn token(
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
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
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

    let Some(grant) = field("grant_type") else {
        return err(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        );
    };
    let allowed = allowed_fields(grant);
    if allowed.is_empty() {
        return err(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant}'."),
        );
    }
    if (grant == "device_code" && v2)
        || (grant == "urn:ietf:params:oauth:grant-type:device_code" && !v2)
    {
        violation(format!(
            "device code grant_type {grant} sent to the {} endpoint",
            if v2 { "v2" } else { "v1" }
        ));
    }
    for (k, _) in form {
        if !allowed.contains(&k.as_str()) && !CLIENT_AUTH_FIELDS.contains(&k.as_str()) {
            violation(format!("unexpected form field {k} for grant {grant}"));
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
    if target.is_none() && matches!(grant, "client_credentials" | "device_code") {
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
        (None, None) if app.public_client && grant != "client_credentials" => {}
        (None, None) => {
            return err(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
    }

    let granted = match grant {
        "client_credentials" => {
            let target = target.unwrap_or_default();
            if v2 {
                let scopes: Vec<&str> = target.split_whitespace().collect();
                if scopes.len() != 1 || !scopes[0].ends_with("/.default") {
                    return err(
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
            if resource == CONSENT_RESOURCE && !lock().consented.contains(client_id) {
                return err(
                    400,
                    "invalid_grant",
                    65001,
                    &format!(
                        "The user or administrator has not consented to use the application with ID '{client_id}' named 'Contoso Deploy'. Send an interactive authorization request for this user and resource."
                    ),
                );
            }
            Granted {
                target: target.to_owned(),
                user: false,
            }
        }
        "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => {
            let code_field = if v2 { "device_code" } else { "code" };
            let Some(code) = field(code_field) else {
                return err(
                    400,
                    "invalid_request",
                    900144,
                    &format!(
                        "The request body must contain the following parameter: '{code_field}'."
                    ),
                );
            };
            let mut s = lock();
            let slow_down_now = std::mem::take(&mut s.slow_down_next);
            let Some(device) = s.devices.get_mut(code) else {
                return err(
                    400,
                    "bad_verification_code",
                    70000,
                    "The provided value for the input parameter 'device_code' is not valid.",
                );
            };
            if device.client_id != client_id {
                return err(
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
                return err(
                    400,
                    "slow_down",
                    70016,
                    "OAuth 2.0 device flow error. Polling too fast; slow down.",
                );
            }
            device.last_poll = Some(now);
            if now > device.expires_at {
                let error = if v2 { "expired_token" } else { "code_expired" };
                return err(400, error, 70019, "Verification code expired.");
            }
            if slow_down_now {
                device.interval += Duration::from_secs(5);
                return err(
                    400,
                    "slow_down",
                    70016,
                    "OAuth 2.0 device flow error. Polling too fast; slow down.",
                );
            }
            match device.status {
                DeviceStatus::Pending => {
                    return err(
                        400,
                        "authorization_pending",
                        70016,
                        "OAuth 2.0 device flow error. Authorization is still pending. Continue polling.",
                    );
                }
                DeviceStatus::Declined => {
                    return err(
                        400,
                        "authorization_declined",
                        70000,
                        "The user declined to authorize the device.",
                    );
                }
                DeviceStatus::Approved if device.redeemed => {
                    return err(
                        400,
                        "invalid_grant",
                        70000,
                        "The device code has already been redeemed.",
                    );
                }
                DeviceStatus::Approved => {}
            }
            if device.v2 != v2 {
                violation(
                    "device code redeemed at another endpoint version than it was issued".into(),
                );
            }
            device.redeemed = true;
            Granted {
                target: device.target.clone(),
                user: true,
            }
        }
        "authorization_code" => {
            let (Some(code), Some(redirect_uri), Some(verifier)) =
                (field("code"), field("redirect_uri"), field("code_verifier"))
            else {
                violation("authorization_code without code, redirect_uri or code_verifier".into());
                return err(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameters: 'code', 'redirect_uri', 'code_verifier'.",
                );
            };
            let mut s = lock();
            let Some(issued) = s.codes.get_mut(code) else {
                return err(
                    400,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                );
            };
            if issued.redeemed {
                return err(
                    400,
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                );
            }
            issued.redeemed = true;
            if issued.client_id != client_id {
                return err(
                    400,
                    "invalid_grant",
                    70000,
                    "The code was issued to another client.",
                );
            }
            if issued.redirect_uri != redirect_uri {
                return err(
                    400,
                    "invalid_grant",
                    50148,
                    &format!(
                        "The redirect_uri '{redirect_uri}' does not match the redirect URI used in the authorization request."
                    ),
                );
            }
            if crate_pkce_challenge(verifier) != issued.challenge {
                return err(
                    400,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                );
            }
            if issued.v2 != v2 {
                violation("authorization code redeemed at another endpoint version".into());
            }
            Granted {
                target: target
                    .map(str::to_owned)
                    .unwrap_or_else(|| issued.target.clone()),
                user: true,
            }
        }
        "refresh_token" => {
            let Some(rt) = field("refresh_token") else {
                return err(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'refresh_token'.",
                );
            };
            let mut s = lock();
            let Some(issued) = s.refresh_tokens.get_mut(rt) else {
                return err(
                    400,
                    "invalid_grant",
                    9002313,
                    "Invalid request. Request is malformed or invalid.",
                );
            };
            if issued.revoked {
                return err(
                    400,
                    "invalid_grant",
                    50173,
                    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
                );
            }
            if issued.client_id != client_id {
                return err(
                    400,
                    "invalid_grant",
                    70000,
                    "The refresh token was issued to another client.",
                );
            }
            issued.revoked = true;
            let original = issued.target.clone();
            Granted {
                target: target.map(str::to_owned).unwrap_or(original),
                user: true,
            }
        }
        _ => unreachable_grant(),
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

fn unreachable_grant() -> Granted {
    Granted {
        target: String::new(),
        user: false,
    }
}

/// base64url(SHA-256(verifier)), as the authorize request's code_challenge.
fn crate_pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()))
}

fn device_code(
    state: &Shared,
    tenant: &str,
    v2: bool,
    form: &[(String, String)],
    headers: &HeaderMap,
    host: &str,
    violation: &dyn Fn(String),
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
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
fn device_login(state: &Shared, form: &[(String, String)]) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
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

/// The authorize endpoint, acting as a browser where the user is already signed in.
fn authorize(
    state: &Shared,
    tenant: &str,
    v2: bool,
    uri: &Uri,
    violation: &dyn Fn(String),
) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let bad = |msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            format!("<html><body>{msg}</body></html>"),
        )
            .into_response()
    };
    if resolve_tenant(tenant).is_none() && !matches!(tenant, "common" | "organizations") {
        return bad(&format!("AADSTS90002: Tenant '{tenant}' not found."));
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
    ];
    for (k, _) in &query {
        if !known.contains(&k.as_str()) {
            violation(format!("unexpected authorize parameter {k}"));
        }
    }
    let client_id = field("client_id").unwrap_or_default();
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if !s.apps.iter().any(|a| a.client_id == client_id) {
        return bad(&format!(
            "AADSTS700016: Application with identifier '{client_id}' was not found."
        ));
    }
    let redirect_uri = field("redirect_uri").unwrap_or_default().to_owned();
    if !redirect_registered(&redirect_uri) {
        return bad(&format!(
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
        return bad(
            "AADSTS90023: prompt=admin_consent is not supported on the v2.0 authorize endpoint; use /adminconsent.",
        );
    }
    // A v1 admin consent's code is never redeemed, so it needs no PKCE.
    if !admin_consent
        && (field("code_challenge_method") != Some("S256")
            || field("code_challenge").is_none_or(|c| c.len() != 43))
    {
        violation("authorize request without a PKCE S256 challenge".into());
        return bad(
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
    let user = s.browser_user;
    drop(s);
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
fn consent_error(redirect_uri: &str, sep: char, message: &str, state: &str) -> String {
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
fn admin_consent(state: &Shared, tenant: &str, uri: &Uri, violation: &dyn Fn(String)) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let bad = |msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            format!("<html><body>{msg}</body></html>"),
        )
            .into_response()
    };
    for (k, _) in &query {
        if !["client_id", "scope", "redirect_uri", "state"].contains(&k.as_str()) {
            violation(format!("unexpected admin consent parameter {k}"));
        }
    }
    if resolve_tenant(tenant).is_none() && tenant != "organizations" {
        return bad(&format!("AADSTS90002: Tenant '{tenant}' not found."));
    }
    let client_id = field("client_id").unwrap_or_default();
    let user = {
        let s = state.lock().unwrap_or_else(|p| p.into_inner());
        if !s.apps.iter().any(|a| a.client_id == client_id) {
            return bad(&format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory."
            ));
        }
        s.browser_user
    };
    let redirect_uri = field("redirect_uri").unwrap_or_default().to_owned();
    if !redirect_registered(&redirect_uri) {
        return bad(&format!(
            "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application."
        ));
    }
    let Some(scope) = field("scope").filter(|s| !s.trim().is_empty()) else {
        violation("admin consent request without scope".into());
        return bad(
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
fn redirect_registered(redirect_uri: &str) -> bool {
    REDIRECT_URIS.iter().any(|r| {
        if *r == "http://localhost" {
            url::Url::parse(redirect_uri)
                .is_ok_and(|u| u.scheme() == "http" && u.host_str() == Some("localhost"))
        } else {
            *r == redirect_uri
        }
    })
}

/// A JWT-shaped token with an unverifiable signature (the client never verifies).
pub fn mint_jwt(claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "fake-entra-key"});
    let mut sig = [0u8; 64];
    for (i, b) in uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .cycle()
        .take(64)
        .enumerate()
    {
        sig[i] = *b;
    }
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(sig)
    )
}
