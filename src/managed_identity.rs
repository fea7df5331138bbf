//! Managed identity: the token of the Azure resource the program runs on (VM, App
//! Service, Functions, Container Apps, Arc, Cloud Shell, Service Fabric, Azure ML), with
//! no stored secret at all.
//!
//! [`Environment`] is what the platform tells (its variables, whether the Arc agent is
//! installed); [`ManagedIdentity::detect`] picks the [`Source`] in the documented order.
//! Building a request and reading an answer are pure ([`ManagedIdentity::request`],
//! [`parse_answer`]); [`ManagedIdentity::token`] sends them with the retry rules of each
//! source, never through a proxy. A [`ManagedIdentity`] is a [`TokenSource`], so the
//! cache works for it as for any app.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::app::TokenSource;
use crate::cache::ScopeKey;
use crate::entra_error::EntraError;
use crate::error::{Error, Result};
use crate::request::{Form, FormValue};
use crate::response::{HttpResponse, MAX_LIFETIME, TokenResponse};
use crate::scope::Target;
use crate::secret::Secret;
use crate::transport::{HttpRequest, HttpTransport, Method, Transport, TransportOptions};

/// `http://169.254.169.254`, the Instance Metadata Service.
pub const IMDS_HOST: &str = "http://169.254.169.254";
/// The path of IMDS's (and Arc's) token endpoint.
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// The Arc agent's local endpoint, when the agent is installed but the variables are not
/// set (non-login shells).
pub const ARC_ENDPOINT: &str = "http://127.0.0.1:40342/metadata/identity/oauth2/token";
/// The largest Arc key file read.
pub const ARC_KEY_MAX: u64 = 4096;
/// How long connecting to IMDS may take: an off-Azure machine never waits longer.
pub const IMDS_CONNECT_LIMIT: Duration = Duration::from_secs(2);
/// What a `--resource`-less managed identity token is for.
pub const DEFAULT_RESOURCE: &str = "https://management.azure.com/";

/// Where the token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Service Fabric (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER` + `IDENTITY_SERVER_THUMBPRINT`).
    ServiceFabric,
    /// App Service, Functions, Container Apps, Automation (`IDENTITY_ENDPOINT` +
    /// `IDENTITY_HEADER`).
    AppService,
    /// Azure Machine Learning (`MSI_ENDPOINT` + `MSI_SECRET`).
    AzureMl,
    /// Cloud Shell (`MSI_ENDPOINT` alone): the signed-in user's token.
    CloudShell,
    /// Azure Arc (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`, or the agent installed).
    Arc,
    /// The Instance Metadata Service: VMs, scale sets, AKS nodes, ACI.
    Imds,
}

impl Source {
    /// Every source, in detection order.
    pub const ALL: [Self; 6] = [
        Self::ServiceFabric,
        Self::AppService,
        Self::AzureMl,
        Self::CloudShell,
        Self::Arc,
        Self::Imds,
    ];

    /// The name used on the command line and in the cache.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServiceFabric => "service-fabric",
            Self::AppService => "app-service",
            Self::AzureMl => "azure-ml",
            Self::CloudShell => "cloud-shell",
            Self::Arc => "arc",
            Self::Imds => "imds",
        }
    }

    /// The source of a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Which identity: the resource's system-assigned one, or a user-assigned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The system-assigned identity (or the only one the platform offers).
    SystemAssigned,
    /// A user-assigned identity by client (application) ID.
    ClientId(String),
    /// A user-assigned identity by object (principal) ID.
    ObjectId(String),
    /// A user-assigned identity by ARM resource ID.
    ResourceId(String),
}

impl Selector {
    fn describe(&self) -> String {
        match self {
            Self::SystemAssigned => "system-assigned".into(),
            Self::ClientId(id) => format!("client ID {id}"),
            Self::ObjectId(id) => format!("object ID {id}"),
            Self::ResourceId(id) => format!("resource ID {id}"),
        }
    }

    fn cache_name(&self) -> String {
        match self {
            Self::SystemAssigned => "system".into(),
            Self::ClientId(id) => format!("client_id={}", id.to_ascii_lowercase()),
            Self::ObjectId(id) => format!("object_id={}", id.to_ascii_lowercase()),
            Self::ResourceId(id) => format!("resource_id={}", id.to_ascii_lowercase()),
        }
    }
}

/// What the platform tells the program.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `IDENTITY_ENDPOINT`.
    pub identity_endpoint: Option<String>,
    /// `IDENTITY_HEADER`.
    pub identity_header: Option<String>,
    /// `IDENTITY_SERVER_THUMBPRINT`.
    pub identity_server_thumbprint: Option<String>,
    /// `IMDS_ENDPOINT`.
    pub imds_endpoint: Option<String>,
    /// `MSI_ENDPOINT`.
    pub msi_endpoint: Option<String>,
    /// `MSI_SECRET`.
    pub msi_secret: Option<String>,
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST`: replaces `http://169.254.169.254`.
    pub pod_identity_authority_host: Option<String>,
    /// Whether the Azure Arc agent (`himds`) is installed.
    pub arc_agent_installed: bool,
}

impl Environment {
    /// This process's environment.
    pub fn from_env() -> Result<Self> {
        use crate::env::string;
        Ok(Self {
            identity_endpoint: string("IDENTITY_ENDPOINT")?,
            identity_header: string("IDENTITY_HEADER")?,
            identity_server_thumbprint: string("IDENTITY_SERVER_THUMBPRINT")?,
            imds_endpoint: string("IMDS_ENDPOINT")?,
            msi_endpoint: string("MSI_ENDPOINT")?,
            msi_secret: string("MSI_SECRET")?,
            pod_identity_authority_host: string("AZURE_POD_IDENTITY_AUTHORITY_HOST")?,
            arc_agent_installed: arc_agent_path().is_some_and(|p| p.exists()),
        })
    }

    /// The first source whose variables are set, in the documented order; IMDS last.
    pub fn detect(&self) -> Source {
        let set = |v: &Option<String>| v.is_some();
        if set(&self.identity_endpoint) && set(&self.identity_header) {
            if set(&self.identity_server_thumbprint) {
                return Source::ServiceFabric;
            }
            return Source::AppService;
        }
        if set(&self.msi_endpoint) {
            return if set(&self.msi_secret) {
                Source::AzureMl
            } else {
                Source::CloudShell
            };
        }
        if (set(&self.identity_endpoint) && set(&self.imds_endpoint)) || self.arc_agent_installed {
            return Source::Arc;
        }
        Source::Imds
    }
}

/// Where the Arc agent lives.
fn arc_agent_path() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("ProgramFiles")
            .map(|p| PathBuf::from(p).join(r"AzureConnectedMachineAgent\himds.exe"))
    } else {
        Some(PathBuf::from("/opt/azcmagent/bin/himds"))
    }
}

/// The only directory an Arc key file may be in.
pub fn arc_key_dir() -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map(|p| PathBuf::from(p).join(r"AzureConnectedMachineAgent\Tokens"))
            .unwrap_or_default()
    } else {
        PathBuf::from("/var/opt/azcmagent/tokens")
    }
}

/// The managed identity of this resource, as one source of tokens.
#[derive(Clone)]
pub struct ManagedIdentity {
    source: Source,
    endpoint: String,
    secret: Option<Secret>,
    thumbprint: Option<[u8; 20]>,
    selector: Selector,
    http: TransportOptions,
    arc_key_dir: PathBuf,
}

impl std::fmt::Debug for ManagedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedIdentity")
            .field("source", &self.source)
            .field("endpoint", &self.endpoint)
            .field("selector", &self.selector)
            .finish()
    }
}

/// A variable the source needs that the environment lacks.
fn needs(source: Source, names: &str) -> Error {
    Error::Invalid(format!(
        "the {} managed identity source needs {names}",
        source.name()
    ))
}

impl ManagedIdentity {
    /// The identity of `selector` from `forced`, or the source the environment names.
    /// Refuses a selector the source cannot honour.
    pub fn detect(env: &Environment, forced: Option<Source>, selector: Selector) -> Result<Self> {
        let source = forced.unwrap_or_else(|| env.detect());
        let var = |v: &Option<String>, name: &str| v.clone().ok_or_else(|| needs(source, name));
        let mut thumbprint = None;
        let (endpoint, secret) = match source {
            Source::ServiceFabric => {
                let endpoint = var(&env.identity_endpoint, "IDENTITY_ENDPOINT")?;
                let header = var(&env.identity_header, "IDENTITY_HEADER")?;
                let print = var(
                    &env.identity_server_thumbprint,
                    "IDENTITY_SERVER_THUMBPRINT",
                )?;
                thumbprint = Some(parse_thumbprint(&print)?);
                if !endpoint.to_ascii_lowercase().starts_with("https://") {
                    return Err(Error::Invalid(format!(
                        "the Service Fabric endpoint '{endpoint}' is not https; refused"
                    )));
                }
                (endpoint, Some(header))
            }
            Source::AppService => (
                var(&env.identity_endpoint, "IDENTITY_ENDPOINT")?,
                Some(var(&env.identity_header, "IDENTITY_HEADER")?),
            ),
            Source::AzureMl => (
                var(&env.msi_endpoint, "MSI_ENDPOINT")?,
                Some(var(&env.msi_secret, "MSI_SECRET")?),
            ),
            Source::CloudShell => (var(&env.msi_endpoint, "MSI_ENDPOINT")?, None),
            Source::Arc => (
                env.identity_endpoint
                    .clone()
                    .unwrap_or_else(|| ARC_ENDPOINT.to_owned()),
                None,
            ),
            Source::Imds => {
                let host = env
                    .pod_identity_authority_host
                    .as_deref()
                    .unwrap_or(IMDS_HOST)
                    .trim_end_matches('/');
                (format!("{host}{IMDS_PATH}"), None)
            }
        };
        let refuse = |what: &str| {
            Err(Error::Invalid(format!(
                "the {} managed identity source {what}",
                source.name()
            )))
        };
        match (source, &selector) {
            (_, Selector::SystemAssigned) => {}
            (Source::ServiceFabric, _) => {
                return refuse(
                    "takes no user-assigned identity: the identity is set in the cluster and application configuration",
                );
            }
            (Source::CloudShell, _) => {
                return refuse("gives the signed-in user's token and takes no identity");
            }
            (Source::AzureMl, Selector::ClientId(_)) => {}
            (Source::AzureMl, _) => {
                return refuse("selects a user-assigned identity by client ID only");
            }
            _ => {}
        }
        Ok(Self {
            source,
            endpoint,
            secret: secret.map(Secret::new),
            thumbprint,
            selector,
            http: TransportOptions::default(),
            arc_key_dir: arc_key_dir(),
        })
    }

    /// Timeout and verbose log (proxies are never used, whatever these say).
    pub fn with_http(mut self, http: TransportOptions) -> Self {
        self.http = http;
        self
    }

    /// The source.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The selector.
    pub fn selector(&self) -> &Selector {
        &self.selector
    }

    /// The request for a token for `resource`; on Arc, `arc_key` answers the challenge.
    pub fn request(&self, resource: &str, arc_key: Option<&Secret>) -> Result<Request> {
        let mut url = url::Url::parse(&self.endpoint).map_err(|e| {
            Error::Invalid(format!(
                "the {} endpoint '{}' is not a URL: {e}",
                self.source.name(),
                self.endpoint
            ))
        })?;
        let plain = |v: &str| FormValue::Plain(v.to_owned());
        let secret = |v: &Secret| FormValue::Secret(v.clone());
        let mut headers: Vec<(&'static str, FormValue)> = Vec::new();
        let mut body = Vec::new();
        let mut method = Method::Get;
        let api_version = match self.source {
            Source::ServiceFabric => Some("2019-07-01-preview"),
            Source::AppService => Some("2019-08-01"),
            Source::AzureMl => Some("2017-09-01"),
            Source::CloudShell => None,
            Source::Arc => Some("2020-06-01"),
            Source::Imds => Some("2018-02-01"),
        };
        if let Some(v) = api_version {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", v)
                .append_pair("resource", resource);
            let (name, id) = match (&self.selector, self.source) {
                (Selector::SystemAssigned, _) => ("", ""),
                (Selector::ClientId(id), Source::AzureMl) => ("clientid", id.as_str()),
                (Selector::ClientId(id), _) => ("client_id", id.as_str()),
                (Selector::ObjectId(id), _) => ("object_id", id.as_str()),
                (Selector::ResourceId(id), Source::AppService) => ("mi_res_id", id.as_str()),
                (Selector::ResourceId(id), _) => ("msi_res_id", id.as_str()),
            };
            if !name.is_empty() {
                q.append_pair(name, id);
            }
        }
        match (self.source, &self.secret) {
            (Source::ServiceFabric, Some(s)) => headers.push(("Secret", secret(s))),
            (Source::AppService, Some(s)) => headers.push(("X-IDENTITY-HEADER", secret(s))),
            (Source::AzureMl, Some(s)) => headers.push(("secret", secret(s))),
            (Source::CloudShell, _) => {
                method = Method::Post;
                headers.push(("Metadata", plain("true")));
                headers.push(("Content-Type", plain("application/x-www-form-urlencoded")));
                let mut form = Form::new();
                form.plain("resource", resource);
                body = form.encode().into_bytes();
            }
            (Source::Arc | Source::Imds, _) => headers.push(("Metadata", plain("true"))),
            _ => {}
        }
        if let Some(key) = arc_key {
            headers.push((
                "Authorization",
                FormValue::Secret(Secret::new(format!("Basic {}", key.expose()))),
            ));
        }
        Ok(Request {
            method,
            url: url.into(),
            headers,
            body,
        })
    }

    /// A token for `resource`, with the source's retries; Arc's challenge is answered.
    pub async fn token(&self, resource: &str) -> Result<TokenResponse> {
        let mut options = self.http.clone();
        options.no_proxy = true;
        options.pinned_sha1 = self.thumbprint;
        if self.source == Source::Imds {
            options.connect_timeout = Some(IMDS_CONNECT_LIMIT);
        }
        let transport = HttpTransport::new(options)?;
        self.token_with(&transport, resource).await
    }

    /// [`ManagedIdentity::token`] through any transport (tests answer in memory).
    pub async fn token_with<T: Transport>(
        &self,
        transport: &T,
        resource: &str,
    ) -> Result<TokenResponse> {
        let first = self.send(transport, &self.request(resource, None)?).await?;
        let resp = if self.source == Source::Arc && first.status == 401 {
            let realm = first.header("www-authenticate").unwrap_or_default();
            let key = read_arc_key(&arc_key_path(realm, &self.arc_key_dir)?)?;
            self.send(transport, &self.request(resource, Some(&key))?)
                .await?
        } else {
            first
        };
        self.answer(&resp)
    }

    /// Sends with the source's retry rules.
    async fn send<T: Transport>(&self, transport: &T, request: &Request) -> Result<HttpResponse> {
        let http = HttpRequest {
            method: request.method,
            url: &request.url,
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        let mut retry = Retry::new(self.source);
        loop {
            let resp = transport.call(&http).await?;
            match retry.next(resp.status, resp.header("retry-after")) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Ok(resp),
            }
        }
    }

    /// The token in an answer, or the refusal it carries.
    fn answer(&self, resp: &HttpResponse) -> Result<TokenResponse> {
        if (200..300).contains(&resp.status) {
            return parse_answer(&resp.body, crate::clock::unix_now());
        }
        let mut entra = EntraError::from_managed_identity(resp.status, &resp.body);
        if resp.status == 400 && self.selector != Selector::SystemAssigned {
            entra.description = Some(format!(
                "the identity with {} is not assigned to this resource{}",
                self.selector.describe(),
                entra
                    .description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ));
        }
        if resp.status >= 500 {
            return Err(Error::Transport {
                message: format!(
                    "the {} managed identity endpoint answered HTTP {} after retries",
                    self.source.name(),
                    resp.status
                ),
                client_request_id: None,
                entra: Some(Box::new(entra)),
                source: None,
            });
        }
        Err(Error::Refused {
            what: "the managed identity request",
            entra: Box::new(entra),
            client_request_id: None,
        })
    }
}

/// What to say when IMDS cannot be reached: this may not be Azure at all.
pub const NO_ENDPOINT: &str =
    "no managed identity endpoint answered: is this an Azure resource with a managed identity?";

/// One managed identity request, built purely.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET, or POST for Cloud Shell.
    pub method: Method,
    /// The URL with its query.
    pub url: String,
    /// Headers (secret values as secrets).
    pub headers: Vec<(&'static str, FormValue)>,
    /// The body (Cloud Shell's form).
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value as sent (exposes secrets: for tests and the wire only).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| match v {
                FormValue::Plain(p) => p.as_str(),
                FormValue::Secret(s) => s.expose(),
            })
    }
}

impl TokenSource for ManagedIdentity {
    fn cache_key(&self, target: &Target) -> Result<ScopeKey> {
        Ok(ScopeKey {
            authority: "managed-identity".into(),
            tenant: self.source.name().into(),
            client_id: self.selector.cache_name(),
            credential: "managed-identity".into(),
            version: "v1".into(),
            target: resource_of(target)?
                .trim_end_matches('/')
                .to_ascii_lowercase(),
            claims: None,
        })
    }

    fn fetch(&self, target: &Target) -> Result<TokenResponse> {
        let resource = resource_of(target)?;
        crate::app::block_on(self.token(&resource))?
    }

    fn note(&self, line: &str) {
        if let Some(log) = &self.http.log {
            log(line);
        }
    }
}

/// The one resource of a managed identity request: a resource as is, or exactly one scope
/// without its `/.default`.
pub fn resource_of(target: &Target) -> Result<String> {
    match target {
        Target::Resource(r) => Ok(r.clone()),
        Target::Scopes(scopes) => match scopes.as_slice() {
            [one] => Ok(one.strip_suffix("/.default").unwrap_or(one).to_owned()),
            _ => Err(Error::Invalid(
                "a managed identity token is for exactly one scope (or resource)".into(),
            )),
        },
    }
}

/// `IDENTITY_SERVER_THUMBPRINT`: 40 hex digits, `:` and spaces ignored, any case.
pub fn parse_thumbprint(text: &str) -> Result<[u8; 20]> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bad = || {
        Error::Invalid(format!(
            "IDENTITY_SERVER_THUMBPRINT '{text}' is not a SHA-1 thumbprint (40 hex digits)"
        ))
    };
    if hex.len() != 40 {
        return Err(bad());
    }
    let mut out = [0u8; 20];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(out)
}

/// The key file an Arc challenge names (`WWW-Authenticate: Basic realm=PATH`): it must be
/// directly in `key_dir`, end in `.key`, and have no `..` in it.
pub fn arc_key_path(www_authenticate: &str, key_dir: &Path) -> Result<PathBuf> {
    let refuse = |why: &str| Error::Transport {
        message: format!("the Azure Arc challenge is not usable: {why}"),
        client_request_id: None,
        entra: None,
        source: None,
    };
    let realm = www_authenticate
        .trim()
        .strip_prefix("Basic realm=")
        .or_else(|| www_authenticate.trim().strip_prefix("basic realm="))
        .ok_or_else(|| refuse("the 401 names no key file (WWW-Authenticate: Basic realm=PATH)"))?
        .trim_matches('"');
    let path = PathBuf::from(realm);
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(refuse("the key file path has '..' in it"));
    }
    if path.parent() != Some(key_dir) {
        return Err(refuse(&format!(
            "the key file is not directly in {}",
            key_dir.display()
        )));
    }
    if path.extension().is_none_or(|e| e != "key") {
        return Err(refuse("the key file does not end in .key"));
    }
    Ok(path)
}

/// What [`Error::Read`] calls the Arc key file.
pub const ARC_KEY_FILE: &str = "the Azure Arc key file";

/// Reads an Arc key file: a regular file (not a link), at most [`ARC_KEY_MAX`] bytes,
/// checked before it is read.
pub fn read_arc_key(path: &Path) -> Result<Secret> {
    let read_error = |source: std::io::Error| Error::Read {
        what: ARC_KEY_FILE,
        path: path.to_path_buf(),
        source,
    };
    let file =
        crate::input::open_regular(path, crate::input::Follow::NoLinks).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > ARC_KEY_MAX {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {ARC_KEY_MAX} bytes; refused"),
        )));
    }
    let bytes = crate::input::read_bounded(file).map_err(read_error)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not text",
        ))
    })?;
    Ok(Secret::new(text.trim()))
}

/// The retry rules: IMDS retries 404, 408, 429 and 5xx three times (1, 2, 4 s or
/// `Retry-After`) and 410 every 10 s for up to 70 s; the other sources retry 408, 429,
/// 500, 502, 503 and 504 three times.
#[derive(Debug, Clone)]
pub struct Retry {
    source: Source,
    retries: u32,
    gone_waited: Duration,
}

/// The wait between two tries of an IMDS that is updating (410).
pub const GONE_WAIT: Duration = Duration::from_secs(10);
/// How long an updating IMDS (410) is waited for.
pub const GONE_LIMIT: Duration = Duration::from_secs(70);
/// The longest `Retry-After` honoured.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(10);

impl Retry {
    /// No tries yet.
    pub fn new(source: Source) -> Self {
        Self {
            source,
            retries: 0,
            gone_waited: Duration::ZERO,
        }
    }

    /// How long to wait before trying again after `status`, or `None` to stop.
    pub fn next(&mut self, status: u16, retry_after: Option<&str>) -> Option<Duration> {
        if self.source == Source::Imds && status == 410 {
            if self.gone_waited + GONE_WAIT > GONE_LIMIT {
                return None;
            }
            self.gone_waited += GONE_WAIT;
            return Some(GONE_WAIT);
        }
        let retryable = match self.source {
            Source::Imds => matches!(status, 404 | 408 | 429) || (500..600).contains(&status),
            _ => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        };
        if !retryable || self.retries >= 3 {
            return None;
        }
        self.retries += 1;
        let backoff = Duration::from_secs(1 << (self.retries - 1));
        Some(
            retry_after
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(RETRY_AFTER_CAP))
                .unwrap_or(backoff),
        )
    }
}

/// A managed identity answer: `access_token`, and `expires_in` (number or numeric string)
/// first, else `expires_on` (number, numeric string, or the 2017 forms
/// `06/20/2019 02:57:58 +00:00` and `1/16/2020 5:24:12 AM +00:00`). A token already
/// expired, or one that is not a single word, is refused.
pub fn parse_answer(body: &[u8], now: u64) -> Result<TokenResponse> {
    let malformed = |why: &str| {
        Error::transport(
            format!("the managed identity endpoint's answer is not usable: {why}"),
            None,
        )
    };
    let json: Value = serde_json::from_slice(body).map_err(|_| malformed("not JSON"))?;
    let text = |name: &str| match json.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let token = text("access_token").ok_or_else(|| malformed("no access_token"))?;
    if !crate::inert::is_token_text(&token) {
        return Err(malformed(
            "a malformed access_token (whitespace or control characters)",
        ));
    }
    let latest = now.saturating_add(MAX_LIFETIME);
    let expires_on = match text("expires_in").and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(i) => now.saturating_add(i.min(MAX_LIFETIME)),
        None => text("expires_on")
            .and_then(|v| parse_expires_on(&v))
            .ok_or_else(|| malformed("no expires_in or expires_on"))?
            .min(latest),
    };
    if expires_on <= now {
        return Err(malformed("the token has already expired"));
    }
    Ok(TokenResponse {
        token_type: text("token_type").unwrap_or_else(|| "Bearer".into()),
        access_token: Secret::new(token),
        expires_in: expires_on - now,
        expires_on,
        ext_expires_in: None,
        scope: None,
        resource: text("resource"),
        refresh_token: None,
        id_token: None,
    })
}

/// `expires_on` as Unix seconds: a number, or `M/D/YYYY H:MM:SS [AM|PM] +00:00`.
pub fn parse_expires_on(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let t = t.strip_suffix("+00:00").unwrap_or(t).trim();
    let (date, rest) = t.split_once(' ')?;
    let (time, meridiem) = match rest.trim().split_once(' ') {
        Some((time, m)) => (time, Some(m.trim())),
        None => (rest.trim(), None),
    };
    let mut d = date.split('/').map(|x| x.parse::<u32>().ok());
    let (month, day, year) = (d.next()??, d.next()??, d.next()??);
    let mut h = time.split(':').map(|x| x.parse::<u32>().ok());
    let (mut hour, minute, second) = (h.next()??, h.next()??, h.next()??);
    match meridiem.map(str::to_ascii_uppercase).as_deref() {
        None => {}
        Some("AM") if (1..=12).contains(&hour) => hour %= 12,
        Some("PM") if (1..=12).contains(&hour) => hour = hour % 12 + 12,
        Some(_) => return None,
    }
    let unix = crate::clock::unix_from_civil(i64::from(year), month, day, hour, minute, second)?;
    u64::try_from(unix).ok()
}

impl EntraError {
    /// A managed identity endpoint's refusal, in any of its shapes: OAuth2 (`error`,
    /// `error_description`), App Service (`statusCode`, `message`), Service Fabric and
    /// Cloud Shell (`error: {code, message}`), or not JSON at all.
    pub fn from_managed_identity(status: u16, body: &[u8]) -> Self {
        if let Some(e) = Self::from_body(status, body) {
            return e;
        }
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let (error, message) = match json.get("error") {
            Some(Value::Object(o)) => (s(o.get("code")), s(o.get("message"))),
            _ => (None, s(json.get("message"))),
        };
        let first_line = |m: String| {
            m.lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(400)
                .collect()
        };
        Self {
            error: error.unwrap_or_else(|| format!("http_{status}")),
            codes: Vec::new(),
            description: message.map(first_line).or_else(|| {
                (!body.is_empty()).then(|| {
                    first_line(String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned())
                })
            }),
            trace_id: None,
            correlation_id: s(json.get("error").and_then(|e| e.get("correlationId"))),
            suberror: None,
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::default()
    }

    #[test]
    fn sources_are_detected_in_the_documented_order() {
        let mut e = env();
        assert_eq!(e.detect(), Source::Imds);
        e.arc_agent_installed = true;
        assert_eq!(e.detect(), Source::Arc);
        e.arc_agent_installed = false;
        e.identity_endpoint = Some("http://localhost:40342/x".into());
        e.imds_endpoint = Some("http://localhost:40342".into());
        assert_eq!(e.detect(), Source::Arc);
        e.msi_endpoint = Some("http://localhost:50342/oauth2/token".into());
        assert_eq!(e.detect(), Source::CloudShell);
        e.msi_secret = Some("s".into());
        assert_eq!(e.detect(), Source::AzureMl);
        e.identity_header = Some("h".into());
        assert_eq!(e.detect(), Source::AppService);
        e.identity_server_thumbprint = Some("ab".repeat(20));
        assert_eq!(e.detect(), Source::ServiceFabric);
    }

    fn mi(source: Source, selector: Selector) -> ManagedIdentity {
        let e = Environment {
            identity_endpoint: Some("https://localhost:2377/metadata/identity/oauth2/token".into()),
            identity_header: Some("HDR".into()),
            identity_server_thumbprint: Some("AB:".repeat(19) + "AB"),
            imds_endpoint: Some("http://localhost:40342".into()),
            msi_endpoint: Some("http://localhost:50342/oauth2/token".into()),
            msi_secret: Some("MSISECRET".into()),
            pod_identity_authority_host: None,
            arc_agent_installed: false,
        };
        ManagedIdentity::detect(&e, Some(source), selector).unwrap()
    }

    #[test]
    fn each_source_builds_its_own_request() {
        let r = mi(Source::Imds, Selector::ResourceId("/sub/x".into()))
            .request("https://vault.azure.net", None)
            .unwrap();
        assert_eq!(
            r.url,
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&msi_res_id=%2Fsub%2Fx"
        );
        assert_eq!(r.header("Metadata"), Some("true"));
        let r = mi(Source::AppService, Selector::ResourceId("/sub/x".into()))
            .request("r", None)
            .unwrap();
        assert!(
            r.url
                .ends_with("?api-version=2019-08-01&resource=r&mi_res_id=%2Fsub%2Fx")
        );
        assert_eq!(r.header("X-IDENTITY-HEADER"), Some("HDR"));
        assert_eq!(r.header("Metadata"), None);
        let r = mi(Source::AzureMl, Selector::ClientId("c".into()))
            .request("r", None)
            .unwrap();
        assert_eq!(
            r.url,
            "http://localhost:50342/oauth2/token?api-version=2017-09-01&resource=r&clientid=c"
        );
        assert_eq!(r.header("secret"), Some("MSISECRET"));
        let r = mi(Source::CloudShell, Selector::SystemAssigned)
            .request("https://management.azure.com/", None)
            .unwrap();
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "http://localhost:50342/oauth2/token");
        assert_eq!(r.body, b"resource=https%3A%2F%2Fmanagement.azure.com%2F");
        let r = mi(Source::ServiceFabric, Selector::SystemAssigned)
            .request("r", None)
            .unwrap();
        assert!(
            r.url
                .ends_with("?api-version=2019-07-01-preview&resource=r")
        );
        assert_eq!(r.header("Secret"), Some("HDR"));
        let r = mi(Source::Arc, Selector::ObjectId("o".into()))
            .request("r", Some(&Secret::new("KEY")))
            .unwrap();
        assert!(
            r.url
                .ends_with("?api-version=2020-06-01&resource=r&object_id=o")
        );
        assert_eq!(r.header("Authorization"), Some("Basic KEY"));
        let shown = format!("{:?}", r.headers);
        assert!(!shown.contains("KEY"), "{shown}");
    }

    #[test]
    fn selectors_a_source_cannot_honour_are_refused() {
        let e = Environment {
            identity_endpoint: Some("https://h/x".into()),
            identity_header: Some("h".into()),
            identity_server_thumbprint: Some("ab".repeat(20)),
            msi_endpoint: Some("http://m".into()),
            msi_secret: Some("s".into()),
            ..env()
        };
        for (source, selector) in [
            (Source::ServiceFabric, Selector::ClientId("c".into())),
            (Source::CloudShell, Selector::ClientId("c".into())),
            (Source::AzureMl, Selector::ObjectId("o".into())),
            (Source::AzureMl, Selector::ResourceId("r".into())),
        ] {
            let e = ManagedIdentity::detect(&e, Some(source), selector).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Invalid, "{source:?}");
        }
        let missing =
            ManagedIdentity::detect(&env(), Some(Source::AppService), Selector::SystemAssigned)
                .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the app-service managed identity source needs IDENTITY_ENDPOINT"
        );
    }

    #[test]
    fn the_pod_identity_host_replaces_imds() {
        let e = Environment {
            pod_identity_authority_host: Some("http://localhost:1234//".into()),
            ..env()
        };
        let m = ManagedIdentity::detect(&e, None, Selector::SystemAssigned).unwrap();
        assert!(m.request("r", None).unwrap().url.starts_with(
            "http://localhost:1234/metadata/identity/oauth2/token?api-version=2018-02-01"
        ));
    }

    #[test]
    fn service_fabric_needs_https_and_a_real_thumbprint() {
        let e = Environment {
            identity_endpoint: Some("http://localhost:2377/x".into()),
            identity_header: Some("h".into()),
            identity_server_thumbprint: Some("ab".repeat(20)),
            ..env()
        };
        assert!(ManagedIdentity::detect(&e, None, Selector::SystemAssigned).is_err());
        assert_eq!(
            parse_thumbprint(&("Ab:".repeat(19) + "AB")).unwrap(),
            [0xab; 20]
        );
        assert_eq!(parse_thumbprint(&"ab ".repeat(20)).unwrap(), [0xab; 20]);
        assert!(parse_thumbprint("abcd").is_err());
        assert!(parse_thumbprint(&"zz".repeat(20)).is_err());
    }

    #[test]
    fn every_expiry_form_is_read() {
        let now = 1_560_000_000;
        let at = |body: &str| parse_answer(body.as_bytes(), now).map(|t| t.expires_on);
        assert_eq!(
            at(r#"{"access_token":"a","expires_in":"3599"}"#).unwrap(),
            now + 3599
        );
        assert_eq!(
            at(r#"{"access_token":"a","expires_in":3599}"#).unwrap(),
            now + 3599
        );
        assert_eq!(
            at(r#"{"access_token":"a","expires_on":"1560003600"}"#).unwrap(),
            1_560_003_600
        );
        assert_eq!(
            at(r#"{"access_token":"a","expires_on":1560003600}"#).unwrap(),
            1_560_003_600
        );
        assert_eq!(
            at(r#"{"access_token":"a","expires_on":"06/20/2019 02:57:58 +00:00"}"#).unwrap(),
            1_560_999_478
        );
        assert_eq!(
            parse_expires_on("1/16/2020 5:24:12 AM +00:00"),
            Some(1_579_152_252)
        );
        assert_eq!(
            parse_expires_on("1/16/2020 5:24:12 PM +00:00"),
            Some(1_579_195_452)
        );
        assert_eq!(
            parse_expires_on("1/16/2020 12:00:00 AM +00:00"),
            Some(1_579_132_800)
        );
        assert!(
            at(r#"{"access_token":"a","expires_on":"1000"}"#).is_err(),
            "expired"
        );
        assert!(at(r#"{"access_token":"a b","expires_in":1}"#).is_err());
        assert!(at(r#"{"expires_in":1}"#).is_err());
        assert_eq!(
            at(r#"{"access_token":"a","expires_in":"99999999999999"}"#).unwrap(),
            now + MAX_LIFETIME
        );
    }

    #[test]
    fn retries_follow_each_source() {
        let mut r = Retry::new(Source::Imds);
        let waits: Vec<_> = (0..8).map_while(|_| r.next(410, None)).collect();
        assert_eq!(waits, vec![GONE_WAIT; 7], "410: every 10 s for 70 s");
        let mut r = Retry::new(Source::Imds);
        assert_eq!(r.next(404, None), Some(Duration::from_secs(1)));
        assert_eq!(r.next(500, None), Some(Duration::from_secs(2)));
        assert_eq!(r.next(429, Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(r.next(503, None), None, "three retries");
        let mut r = Retry::new(Source::AppService);
        assert_eq!(r.next(404, None), None);
        assert_eq!(r.next(410, None), None);
        assert_eq!(r.next(408, Some("600")), Some(RETRY_AFTER_CAP));
        assert_eq!(Retry::new(Source::Imds).next(400, None), None);
    }

    #[test]
    fn arc_key_paths_follow_the_rules() {
        let dir = Path::new("/var/opt/azcmagent/tokens");
        assert_eq!(
            arc_key_path("Basic realm=/var/opt/azcmagent/tokens/abc.key", dir).unwrap(),
            dir.join("abc.key")
        );
        for bad in [
            "Basic realm=/etc/shadow",
            "Basic realm=/var/opt/azcmagent/tokens/abc.txt",
            "Basic realm=/var/opt/azcmagent/tokens/../x.key",
            "Basic realm=/var/opt/azcmagent/tokens/sub/x.key",
            "Bearer realm=/var/opt/azcmagent/tokens/abc.key",
            "",
        ] {
            assert!(arc_key_path(bad, dir).is_err(), "{bad}");
        }
    }

    #[test]
    fn arc_key_files_are_checked_before_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("a.key");
        std::fs::write(&ok, "SECRETKEY\n").unwrap();
        assert_eq!(read_arc_key(&ok).unwrap().expose(), "SECRETKEY");
        let big = dir.path().join("b.key");
        std::fs::write(&big, vec![b'a'; 4097]).unwrap();
        assert!(
            read_arc_key(&big)
                .unwrap_err()
                .to_string()
                .contains("larger than 4096")
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("l.key");
            std::os::unix::fs::symlink(&ok, &link).unwrap();
            assert!(read_arc_key(&link).is_err());
        }
    }

    #[test]
    fn refusals_are_read_in_every_shape() {
        let e = EntraError::from_managed_identity(
            400,
            br#"{"error":"invalid_request","error_description":"Identity not found"}"#,
        );
        assert_eq!(e.error, "invalid_request");
        let e = EntraError::from_managed_identity(
            400,
            br#"{"statusCode":400,"message":"No identity"}"#,
        );
        assert_eq!(e.description.as_deref(), Some("No identity"));
        let e = EntraError::from_managed_identity(
            404,
            br#"{"error":{"correlationId":"c","code":"ManagedIdentityNotFound","message":"none"}}"#,
        );
        assert_eq!(e.error, "ManagedIdentityNotFound");
        assert_eq!(e.correlation_id.as_deref(), Some("c"));
        let e = EntraError::from_managed_identity(502, b"<html>bad gateway</html>");
        assert_eq!(e.error, "http_502");
    }

    #[test]
    fn scopes_become_one_resource() {
        assert_eq!(
            resource_of(&Target::scope("https://vault.azure.net/.default")).unwrap(),
            "https://vault.azure.net"
        );
        assert_eq!(
            resource_of(&Target::resource("https://management.azure.com/").unwrap()).unwrap(),
            "https://management.azure.com/"
        );
        assert!(resource_of(&Target::scope("a b")).is_err());
    }
}
