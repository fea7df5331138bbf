//! The only place that talks HTTP: client set-up (rustls on ring, the platform trust store
//! plus `--ca-file`, proxies from the environment), request headers, timeout, retries on
//! 429/5xx, and the 1 MiB body cap. Verbose output goes to a caller-supplied log, redacted.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Error, Result};
use crate::request::{Form, FormValue};
use crate::response::HttpResponse;
use crate::secret::Secret;

/// Bodies larger than this are refused.
pub const MAX_BODY: usize = 1024 * 1024;

/// Retries after the first attempt, for 429 and 5xx only.
pub const MAX_RETRIES: u32 = 2;

/// The longest `Retry-After` honoured; a server asking for more waits this long.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(10);

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("entra-token/", env!("CARGO_PKG_VERSION"));

/// How much of a (redacted) body `-v` shows; `-vv` shows it all.
pub const LOG_BODY_PREVIEW: usize = 400;

/// Where verbose lines go (the binary sends them to stderr).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Settings for [`HttpTransport::new`].
#[derive(Clone, Default)]
pub struct TransportOptions {
    /// Per-request timeout (connect + send + receive the whole body).
    pub timeout: Option<Duration>,
    /// Extra trusted roots, PEM.
    pub ca_file: Option<std::path::PathBuf>,
    /// Verbose log; `None` for quiet.
    pub log: Option<Log>,
    /// Log whole (redacted) bodies and a timing summary (`-vv`); otherwise bodies are cut
    /// at [`LOG_BODY_PREVIEW`] characters.
    pub log_full: bool,
    /// Base delay of the jittered backoff (tests make it small).
    pub backoff_base: Option<Duration>,
    /// Never use a proxy, whatever the environment says (managed identity endpoints are
    /// on the machine or link-local).
    pub no_proxy: bool,
    /// How long connecting may take (default: the timeout).
    pub connect_timeout: Option<Duration>,
    /// Accept the server only if the SHA-1 of its leaf certificate is this, with no CA
    /// check (Service Fabric's self-signed endpoint).
    pub pinned_sha1: Option<[u8; 20]>,
}

/// An HTTP method of [`HttpRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// One request with its own headers, sent once by [`Transport::call`]. Header values
/// that are secrets are [`FormValue::Secret`]s, shown redacted by `-v`.
#[derive(Debug, Clone)]
pub struct HttpRequest<'a> {
    /// GET or POST.
    pub method: Method,
    /// The URL.
    pub url: &'a str,
    /// Request headers.
    pub headers: Vec<(&'static str, FormValue)>,
    /// The body (empty for none).
    pub body: Vec<u8>,
}

/// What the flows need from HTTP: a form POST and a GET. [`HttpTransport`] is the real
/// one; tests answer in memory.
pub trait Transport {
    /// POSTs a form (retrying 429/5xx) and returns the answer.
    fn post_form(
        &self,
        url: &str,
        form: &Form,
    ) -> impl std::future::Future<Output = Result<HttpResponse>>;
    /// GETs a URL, optionally with a bearer token.
    fn get(
        &self,
        url: &str,
        bearer: Option<&Secret>,
    ) -> impl std::future::Future<Output = Result<HttpResponse>>;
    /// Sends one request as it is, once: no retries, no Entra headers. The caller has its
    /// own retry policy (managed identity) or needs none.
    fn call(
        &self,
        request: &HttpRequest<'_>,
    ) -> impl std::future::Future<Output = Result<HttpResponse>>;
}

/// An HTTP client with Entra's conventions.
pub struct HttpTransport {
    client: reqwest::Client,
    timeout: Duration,
    log: Option<Log>,
    log_full: bool,
    backoff_base: Duration,
}

impl HttpTransport {
    /// Builds the client. Reads `--ca-file` now so that a bad file fails before any request.
    pub fn new(opts: TransportOptions) -> Result<Self> {
        let timeout = opts.timeout.unwrap_or(Duration::from_secs(30));
        let extra = match &opts.ca_file {
            Some(path) => read_ca_file(path)?,
            None => Vec::new(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match opts.pinned_sha1 {
            Some(sha1) => Arc::new(Sha1Pinned {
                sha1,
                provider: provider.clone(),
            }),
            None => Arc::new(
                if extra.is_empty() {
                    rustls_platform_verifier::Verifier::new(provider.clone())
                } else {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        extra,
                        provider.clone(),
                    )
                }
                .map_err(|e| Error::local(format!("cannot set up TLS: {e}")))?,
            ),
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::local(format!("cannot set up TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let mut builder = reqwest::Client::builder().no_proxy();
        if !opts.no_proxy {
            for proxy in env_proxies()? {
                builder = builder.proxy(proxy);
            }
        }
        let client = builder
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(opts.connect_timeout.unwrap_or(timeout))
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| {
                Error::local(format!("cannot build the HTTP client: {}", root_cause(&e)))
            })?;
        Ok(Self {
            client,
            timeout,
            log: opts.log,
            log_full: opts.log_full,
            backoff_base: opts.backoff_base.unwrap_or(Duration::from_millis(400)),
        })
    }

    fn log(&self, line: &str) {
        if let Some(log) = &self.log {
            log(line);
        }
    }

    async fn send(
        &self,
        url: &str,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<HttpResponse> {
        let mut attempt = 0;
        let first_started = Instant::now();
        loop {
            let crid = uuid::Uuid::new_v4().to_string();
            let started = Instant::now();
            let rb = build(&self.client, &crid)
                .header("client-request-id", &crid)
                .header("return-client-request-id", "true")
                .header(header::ACCEPT, "application/json")
                .timeout(self.timeout);
            let result = self.exchange(rb, url, &crid, false).await;
            let (resp, headers) = match result {
                Ok(pair) => pair,
                Err(e) => {
                    self.log(&format!(
                        "< failed after {} ms: {e}",
                        started.elapsed().as_millis()
                    ));
                    return Err(e);
                }
            };
            self.log(&format!(
                "< HTTP {} ({} ms, {} bytes{})",
                resp.status,
                started.elapsed().as_millis(),
                resp.body.len(),
                resp.content_type
                    .as_deref()
                    .map(|c| format!(", {c}"))
                    .unwrap_or_default()
            ));
            let names: &[&str] = if self.log_full {
                &[
                    "x-ms-request-id",
                    "client-request-id",
                    "retry-after",
                    "x-ms-ests-server",
                    "date",
                ]
            } else {
                &["x-ms-request-id", "client-request-id", "retry-after"]
            };
            for name in names {
                if let Some(v) = headers.get(*name).and_then(|v| v.to_str().ok()) {
                    self.log(&format!("< {name}: {}", crate::inert::inert(v)));
                }
            }
            let body = redact_body(&resp.body);
            if self.log_full || body.chars().count() <= LOG_BODY_PREVIEW {
                self.log(&format!("< {body}"));
            } else {
                let cut: String = body.chars().take(LOG_BODY_PREVIEW).collect();
                self.log(&format!("< {cut}… (-vv shows the whole body)"));
            }
            let retryable = resp.status == 429 || resp.status >= 500;
            if !retryable || attempt >= MAX_RETRIES {
                if self.log_full {
                    self.log(&format!(
                        "* {} attempt(s), {} ms in this request",
                        attempt + 1,
                        first_started.elapsed().as_millis()
                    ));
                }
                return Ok(resp);
            }
            attempt += 1;
            let wait = retry_delay(&headers, attempt, self.backoff_base, SystemTime::now());
            self.log(&format!(
                "* HTTP {}: retry {attempt} of {MAX_RETRIES} in {} ms",
                resp.status,
                wait.as_millis()
            ));
            tokio::time::sleep(wait).await;
        }
    }

    /// One exchange. A redirect is never followed; unless `redirect_is_answer`, it is an
    /// error (a form with secrets must not travel on).
    async fn exchange(
        &self,
        rb: reqwest::RequestBuilder,
        url: &str,
        crid: &str,
        redirect_is_answer: bool,
    ) -> Result<(HttpResponse, HeaderMap)> {
        let fail = |e: reqwest::Error| self.describe(&e, url, crid);
        let mut resp = rb.send().await.map_err(fail)?;
        let status = resp.status().as_u16();
        if resp.status().is_redirection() && !redirect_is_answer {
            let to = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(redact_query)
                .unwrap_or_default();
            return Err(Error::transport(
                format!(
                    "{} answered HTTP {status}, a redirect to '{to}'; redirects are not followed (a form with secrets must not travel on)",
                    host_of(url)
                ),
                Some(crid.to_owned()),
            ));
        }
        let too_big = || {
            Error::transport(
                format!(
                    "the answer from {} is larger than 1 MiB; refused",
                    host_of(url)
                ),
                Some(crid.to_owned()),
            )
        };
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_big());
        }
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let kept = [
            "www-authenticate",
            "x-vss-e2eid",
            "x-msedge-ref",
            "retry-after",
        ]
        .iter()
        .filter_map(|n| {
            let v = headers.get(*n)?.to_str().ok()?;
            Some(((*n).to_owned(), v.to_owned()))
        })
        .collect();
        Ok((
            HttpResponse {
                status,
                content_type,
                body,
                client_request_id: crid.to_owned(),
                headers: kept,
            },
            headers,
        ))
    }

    fn describe(&self, e: &reqwest::Error, url: &str, crid: &str) -> Error {
        let host = host_of(url);
        let cause = root_cause(e);
        let message = if e.is_timeout() {
            format!("no answer from {host} within {} s", self.timeout.as_secs())
        } else if e.is_connect() {
            format!("cannot connect to {host}: {cause}")
        } else if e.is_body() || e.is_decode() {
            format!("the answer from {host} broke off: {cause}")
        } else {
            format!("request to {host} failed: {cause}")
        };
        Error::transport(message, Some(crid.to_owned()))
    }
}

impl Transport for HttpTransport {
    /// POSTs a form, retrying 429/5xx at most twice.
    async fn post_form(&self, url: &str, form: &Form) -> Result<HttpResponse> {
        let body = form.encode();
        let redacted = form.redacted();
        self.send(url, |client, crid| {
            self.log(&format!("> POST {url}"));
            self.log(&format!("> client-request-id: {crid}"));
            self.log(&format!("> {redacted}"));
            client
                .post(url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone())
        })
        .await
    }

    /// GETs a URL, optionally with a bearer token (GitHub's OIDC endpoint).
    async fn get(&self, url: &str, bearer: Option<&Secret>) -> Result<HttpResponse> {
        let shown = redact_query(url);
        self.send(url, |client, crid| {
            self.log(&format!("> GET {shown}"));
            self.log(&format!("> client-request-id: {crid}"));
            let mut rb = client.get(url);
            if let Some(token) = bearer {
                self.log("> authorization: Bearer <redacted>");
                rb = rb.bearer_auth(token.expose());
            }
            rb
        })
        .await
    }

    /// Sends `request` once (no retries, no `client-request-id`); `-v` shows it with its
    /// secret headers redacted.
    async fn call(&self, request: &HttpRequest<'_>) -> Result<HttpResponse> {
        let crid = uuid::Uuid::new_v4().to_string();
        let shown = redact_query(request.url);
        let started = Instant::now();
        let mut rb = match request.method {
            Method::Get => {
                self.log(&format!("> GET {shown}"));
                self.client.get(request.url)
            }
            Method::Post => {
                self.log(&format!("> POST {shown}"));
                self.client.post(request.url)
            }
        };
        for (name, value) in &request.headers {
            match value {
                FormValue::Plain(v) => {
                    self.log(&format!("> {name}: {v}"));
                    rb = rb.header(*name, v.as_str());
                }
                FormValue::Secret(v) => {
                    self.log(&format!("> {name}: <redacted>"));
                    rb = rb.header(*name, v.expose());
                }
            }
        }
        let rb = rb.body(request.body.clone()).timeout(self.timeout);
        // A redirect comes back as the answer: the caller refuses it with its evidence.
        match self.exchange(rb, request.url, &crid, true).await {
            Ok((resp, _)) => {
                self.log(&format!(
                    "< HTTP {} ({} ms, {} bytes)",
                    resp.status,
                    started.elapsed().as_millis(),
                    resp.body.len()
                ));
                let body = redact_body(&resp.body);
                if self.log_full || body.chars().count() <= LOG_BODY_PREVIEW {
                    self.log(&format!("< {body}"));
                }
                Ok(resp)
            }
            Err(e) => {
                self.log(&format!(
                    "< failed after {} ms: {e}",
                    started.elapsed().as_millis()
                ));
                // No client-request-id was sent, so none is reported.
                Err(match e {
                    Error::Transport {
                        message,
                        entra,
                        source,
                        ..
                    } => Error::Transport {
                        message,
                        client_request_id: None,
                        entra,
                        source,
                    },
                    other => other,
                })
            }
        }
    }
}

/// Accepts exactly the server whose leaf certificate's SHA-1 is `sha1` (Service Fabric
/// publishes it in `IDENTITY_SERVER_THUMBPRINT`); signatures are still checked.
#[derive(Debug)]
struct Sha1Pinned {
    sha1: [u8; 20],
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Sha1Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use sha1::Digest;
        let digest = sha1::Sha1::digest(end_entity.as_ref());
        let differs = digest
            .iter()
            .zip(self.sha1.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs == 0 {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server certificate's SHA-1 thumbprint is not the pinned one".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The delay before retry `attempt` (1-based): `Retry-After` when given (capped), else a
/// jittered exponential backoff.
pub fn retry_delay(headers: &HeaderMap, attempt: u32, base: Duration, now: SystemTime) -> Duration {
    let jitter = jitter_fraction();
    if let Some(after) = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| parse_retry_after(v, now))
    {
        return after.min(RETRY_AFTER_CAP) + base.mul_f64(jitter * 0.25);
    }
    let exp = base.saturating_mul(1 << (attempt.saturating_sub(1)).min(6));
    exp.mul_f64(0.5 + jitter)
}

fn parse_retry_after(v: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = v.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) from the OS random source (0.5 if that fails).
fn jitter_fraction() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// How errors name [`TransportOptions::ca_file`].
pub const CA_FILE: &str = "the CA file";

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let shown = path.display();
    let bytes = crate::input::read_file(path).map_err(|source| Error::Read {
        what: CA_FILE,
        path: path.to_path_buf(),
        source,
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Error::local(format!(
                "{CA_FILE} {shown} is not a PEM certificate bundle: {e}"
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::local(format!(
            "{CA_FILE} {shown} holds no PEM certificate"
        )));
    }
    Ok(certs)
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .map(|u| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.to_owned(),
        })
        .unwrap_or_else(|| url.to_owned())
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// A URL with its query values hidden (GitHub's OIDC URL can carry tokens).
fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?<redacted>"),
        None => url.to_owned(),
    }
}

/// The proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and their
/// lower-case forms, with `NO_PROXY`), each with loopback added to its exceptions: a
/// loopback authority is never sent through a proxy, whose hop would carry the form
/// (secret included) in clear text.
fn env_proxies() -> Result<Vec<reqwest::Proxy>> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let mut no_proxy = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    no_proxy.push_str(",localhost,127.0.0.0/8,::1");
    let mut out = Vec::new();
    // HTTP_PROXY is ignored under CGI (httpoxy), as curl and reqwest do.
    let cgi = std::env::var_os("REQUEST_METHOD").is_some();
    type MakeProxy = fn(&str) -> reqwest::Result<reqwest::Proxy>;
    let settings: [(&[&str], MakeProxy); 3] = [
        (&["HTTPS_PROXY", "https_proxy"], |u| {
            reqwest::Proxy::https(u)
        }),
        (
            if cgi {
                &[]
            } else {
                &["HTTP_PROXY", "http_proxy"]
            },
            |u| reqwest::Proxy::http(u),
        ),
        (&["ALL_PROXY", "all_proxy"], |u| reqwest::Proxy::all(u)),
    ];
    for (names, make) in settings {
        let Some(url) = var(names) else { continue };
        let proxy = make(url.trim()).map_err(|e| {
            Error::Invalid(format!(
                "the proxy in {} is not a URL: {}",
                names[0],
                root_cause(&e)
            ))
        })?;
        out.push(proxy.no_proxy(reqwest::NoProxy::from_string(&no_proxy)));
    }
    Ok(out)
}

/// Fields of answers that are never shown, even with `-v`.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "code",
    "value",
    "client_secret",
    "client_assertion",
];

/// A body for `-v`: JSON with every secret field (at any depth, also inside JSON held in
/// a string) and every JWT-shaped string replaced, or a size and kind.
pub fn redact_body(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) if v.is_object() || v.is_array() => {
            redact_value(&mut v, 0);
            v.to_string()
        }
        Ok(_) => format!("<{} bytes of JSON>", body.len()),
        Err(_) => format!("<{} bytes, not JSON>", body.len()),
    }
}

const REDACTED: &str = "<redacted>";

fn redact_value(v: &mut serde_json::Value, depth: usize) {
    use serde_json::Value;
    if depth > 32 {
        *v = Value::String(REDACTED.into());
        return;
    }
    match v {
        Value::Object(obj) => {
            for (k, val) in obj.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) {
                    *val = Value::String(REDACTED.into());
                } else {
                    redact_value(val, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact_value(i, depth + 1)),
        Value::String(s) => {
            if looks_like_jwt(s) {
                *s = REDACTED.into();
            } else if let Ok(mut inner) = serde_json::from_str::<Value>(s)
                && (inner.is_object() || inner.is_array())
            {
                redact_value(&mut inner, depth + 1);
                *s = inner.to_string();
            }
        }
        _ => {}
    }
}

/// Three dot-separated base64url parts, the first a JSON header (`eyJ`).
fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split('.').collect();
    (parts.len() == 3 || parts.len() == 5)
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_is_honoured_and_capped() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        let d = retry_delay(&h, 1, Duration::from_millis(100), SystemTime::now());
        assert!(
            d >= Duration::from_secs(2) && d < Duration::from_millis(2100),
            "{d:?}"
        );
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        let d = retry_delay(&h, 1, Duration::from_millis(100), SystemTime::now());
        assert!(d >= RETRY_AFTER_CAP && d < RETRY_AFTER_CAP + Duration::from_millis(100));
    }

    #[test]
    fn retry_after_http_date_is_honoured() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(3));
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_delay(&h, 1, Duration::ZERO, now);
        assert_eq!(d, Duration::from_secs(3));
    }

    #[test]
    fn backoff_grows_and_is_jittered_within_bounds() {
        let h = HeaderMap::new();
        let base = Duration::from_millis(400);
        for _ in 0..50 {
            let first = retry_delay(&h, 1, base, SystemTime::now());
            let second = retry_delay(&h, 2, base, SystemTime::now());
            assert!(first >= Duration::from_millis(200) && first < Duration::from_millis(600));
            assert!(second >= Duration::from_millis(400) && second < Duration::from_millis(1200));
        }
    }

    #[test]
    fn verbose_bodies_never_show_tokens() {
        let shown = redact_body(
            br#"{"token_type":"Bearer","access_token":"AT","refresh_token":"RT","expires_in":1}"#,
        );
        assert!(!shown.contains("AT\"") && !shown.contains("RT"), "{shown}");
        assert!(shown.contains(r#""access_token":"<redacted>""#));
        assert_eq!(redact_body(b"<html>"), "<6 bytes, not JSON>");
    }

    #[test]
    fn redaction_recurses_into_nested_and_stringified_json() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln";
        let body = serde_json::json!({
            "error": "x",
            "inner": {"refresh_token": "RT-1", "list": [{"access_token": "AT-1"}]},
            "stringified": serde_json::json!({"id_token": "ID-1"}).to_string(),
            "odd_name": jwt,
        })
        .to_string();
        let shown = redact_body(body.as_bytes());
        for leak in ["RT-1", "AT-1", "ID-1", jwt] {
            assert!(!shown.contains(leak), "{leak} in {shown}");
        }
        assert!(shown.contains(r#""error":"x""#), "{shown}");
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(!redact_body(deep.as_bytes()).is_empty());
    }

    #[test]
    fn jwt_shapes_are_recognised() {
        assert!(looks_like_jwt("eyJh.eyJz.sig"));
        assert!(!looks_like_jwt("eyJh.eyJz"));
        assert!(!looks_like_jwt("plain text. with dots. here"));
    }

    #[test]
    fn query_strings_are_hidden() {
        assert_eq!(
            redact_query("https://x/y?token=abc"),
            "https://x/y?<redacted>"
        );
        assert_eq!(redact_query("https://x/y"), "https://x/y");
    }

    #[test]
    fn a_missing_ca_file_is_a_local_error() {
        let e = HttpTransport::new(TransportOptions {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert_eq!(e.kind(), crate::ErrorKind::Local);
        assert!(
            e.to_string()
                .starts_with("cannot read the CA file /nonexistent/ca.pem: "),
            "{e}"
        );
    }
}
