//! A strict fake of Entra ID's token service, for tests and for `cargo run --example
//! fake-entra`.
//!
//! It checks what Entra checks (per-grant form fields, client authentication, tenants,
//! apps, scopes), answers in Entra's shapes (v1 numbers as strings, AADSTS error bodies
//! with trace and correlation ids), logs every request, and records a *violation* for
//! anything a well-behaved client would never send: a missing `client-request-id`, an
//! unknown form field, an unknown path. Dropping a fake with violations fails the test.

#![allow(dead_code)]

mod assertion;
mod browser;
mod device;
mod github;
mod identity;
mod token;

pub use identity::{ExpiryForm, IdentityKind};

use browser::{admin_consent, authorize};
use device::{device_code, device_login};
use github::github_oidc;
use identity::{identity, pipelines_oidc};
use token::token;

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
/// The value of `IDENTITY_HEADER` the App Service and Service Fabric fakes expect.
pub const IDENTITY_HEADER_VALUE: &str = "fake-identity-header-value";
/// The value of `MSI_SECRET` the Azure ML fake expects.
pub const MSI_SECRET_VALUE: &str = "fake-msi-secret-value";
/// The resource's system-assigned identity.
pub const SYSTEM_MI_CLIENT_ID: &str = "0a1b2c3d-0000-4000-8000-00000000aaaa";
/// Its object ID.
pub const SYSTEM_MI_OBJECT_ID: &str = "0a1b2c3d-0000-4000-8000-00000000bbbb";
/// The user-assigned identity's client ID.
pub const UAMI_CLIENT_ID: &str = "7d3e1f20-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
/// Its object (principal) ID; the app trusts it as a federated credential.
pub const UAMI_OBJECT_ID: &str = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4";
/// Its ARM resource ID.
pub const UAMI_RESOURCE_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deploy";
/// The job access token the Azure Pipelines fake wants.
pub const PIPELINES_ACCESS_TOKEN: &str = "fake-system-accesstoken";
/// The service connection the pipeline references.
pub const PIPELINES_CONNECTION_ID: &str = "3f6a1c2e-8b7d-4e9f-a0b1-c2d3e4f5a6b7";
/// The issuer of Azure Pipelines OIDC tokens for the fake organisation.
pub const PIPELINES_ISSUER: &str =
    "https://vstoken.dev.azure.com/5a7b9c1d-2e3f-4a5b-6c7d-8e9f0a1b2c3d";
/// The subject the app's Azure Pipelines federated credential trusts.
pub const PIPELINES_SUBJECT: &str = "sc://contoso/deploy/prod-connection";

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
    /// Faults for the managed identity endpoints.
    identity_faults: VecDeque<Fault>,
    /// Lifetime of managed identity tokens, seconds.
    mi_lifetime: u64,
    /// How the managed identity answers write `expires_on`.
    expiry_form: ExpiryForm,
    /// The Arc key file the challenge names, and its contents.
    arc_key: (String, String),
    /// The authorize and consent pages ask the person before redirecting (the example).
    pages_ask: bool,
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
        Self::start_with(addr, lenient, Some(tls_config(cert_pem, key_pem)))
    }
}

fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Arc<rustls::ServerConfig> {
    {
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
        Arc::new(config)
    }
}

impl FakeEntra {
    fn start_with(addr: SocketAddr, lenient: bool, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self::try_start_with(addr, lenient, tls).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts on `addr` for a person (the example server): violations are logged, and the
    /// authorize and admin consent pages ask before they redirect. `Err` says why the
    /// address cannot be used.
    pub fn try_start_for_people(
        addr: SocketAddr,
        tls: Option<(&[u8], &[u8])>,
    ) -> Result<Self, String> {
        let config = tls.map(|(cert, key)| tls_config(cert, key));
        let fake = Self::try_start_with(addr, true, config)?;
        fake.lock().pages_ask = true;
        Ok(fake)
    }

    fn try_start_with(
        addr: SocketAddr,
        lenient: bool,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Result<Self, String> {
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
                        (
                            format!("https://login.microsoftonline.com/{TENANT_ID}/v2.0"),
                            UAMI_OBJECT_ID.into(),
                            FEDERATED_AUDIENCE.into(),
                        ),
                        (
                            PIPELINES_ISSUER.into(),
                            PIPELINES_SUBJECT.into(),
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
            identity_faults: VecDeque::new(),
            mi_lifetime: 86_399,
            expiry_form: ExpiryForm::Usual,
            arc_key: (
                "/var/opt/azcmagent/tokens/fake-entra.key".into(),
                "fake-arc-key".into(),
            ),
            pages_ask: false,
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let tls_on = tls.is_some();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
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
        Ok(Self {
            addr,
            scheme,
            state,
            runtime: Some(runtime),
        })
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

    /// Queues a fault for the next managed identity request.
    pub fn push_identity_fault(&self, fault: Fault) {
        self.lock().identity_faults.push_back(fault);
    }

    /// How managed identity answers write `expires_on`.
    pub fn set_expiry_form(&self, form: ExpiryForm) {
        self.lock().expiry_form = form;
    }

    /// The key file the Arc challenge names, and what it must hold.
    pub fn set_arc_key(&self, path: &str, contents: &str) {
        self.lock().arc_key = (path.into(), contents.into());
    }

    /// The URL of an identity endpoint of this fake.
    pub fn identity_url(&self, kind: IdentityKind) -> String {
        let path = match kind {
            IdentityKind::Imds => "/metadata/identity/oauth2/token",
            IdentityKind::AppService => "/_appservice/token",
            IdentityKind::AzureMl => "/_azureml/token",
            IdentityKind::CloudShell => "/_cloudshell/token",
            IdentityKind::Arc => "/_arc/metadata/identity/oauth2/token",
            IdentityKind::ServiceFabric => "/_servicefabric/token",
        };
        format!("{}{path}", self.url())
    }

    /// The URL Azure Pipelines puts in SYSTEM_OIDCREQUESTURI.
    pub fn pipelines_oidc_url(&self) -> String {
        format!("{}/_pipelines/oidctoken", self.url())
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
    Identity(IdentityKind),
    PipelinesOidc,
    Stats,
}

fn route(path: &str) -> Option<Endpoint> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["_github", "idtoken"] => Some(Endpoint::GitHubOidc),
        ["metadata", "identity", "oauth2", "token"] => Some(Endpoint::Identity(IdentityKind::Imds)),
        ["_appservice", "token"] => Some(Endpoint::Identity(IdentityKind::AppService)),
        ["_azureml", "token"] => Some(Endpoint::Identity(IdentityKind::AzureMl)),
        ["_cloudshell", "token"] => Some(Endpoint::Identity(IdentityKind::CloudShell)),
        ["_arc", "metadata", "identity", "oauth2", "token"] => {
            Some(Endpoint::Identity(IdentityKind::Arc))
        }
        ["_servicefabric", "token"] => Some(Endpoint::Identity(IdentityKind::ServiceFabric)),
        ["_pipelines", "oidctoken"] => Some(Endpoint::PipelinesOidc),
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

/// A URL's query as pairs.
fn query_of(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The first value of `name` in pairs (a query or a form).
fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
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
            | Endpoint::Identity(_)
            | Endpoint::PipelinesOidc
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
        Endpoint::Identity(kind) => {
            identity(&state, kind, &method, &uri, &headers, &form, &violation)
        }
        Endpoint::PipelinesOidc => {
            pipelines_oidc(&state, &method, &uri, &headers, body.len(), &violation)
        }
        Endpoint::DeviceLogin => device_login(&state, &method, &form),
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
