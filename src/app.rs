//! "Get me a token": the client configuration every flow shares ([`App`]) and the cache
//! orchestration around it: read, lock, re-read, request, store; for delegated tokens,
//! the cached refresh token before any sign-in.
//!
//! A cache hit is synchronous: it builds no async runtime, no TLS configuration and no
//! HTTP client. Only a miss does, once per [`App`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::authority::{AuthorityHost, Cloud, Tenant};
use crate::cache::{Cache, ScopeKey};
use crate::credential::{ClientCredential, Credential};
use crate::env;
use crate::error::{Error, Result};
use crate::flow;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::secret::Secret;
use crate::transport::{HttpTransport, TransportOptions};

/// Where warnings go: the binary prints them on stderr; by default they are dropped.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

/// Where the token cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheLocation {
    /// No cache: every token is requested.
    Off,
    /// `ENTRA_TOKEN_CACHE_DIR`, else the platform's cache directory
    /// (`$XDG_CACHE_HOME/entra-token`, `~/Library/Caches/entra-token`, `%LOCALAPPDATA%`).
    Default,
    /// This directory.
    Dir(PathBuf),
}

/// How tokens are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachePolicy {
    /// Where.
    pub location: CacheLocation,
    /// Reuse cached access tokens (`false`: always request one, then store it; delegated
    /// flows may still refresh silently).
    pub read: bool,
    /// Reuse a cached access token only while it has at least this long left.
    pub min_validity: Duration,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            location: CacheLocation::Default,
            read: true,
            min_validity: Duration::from_secs(300),
        }
    }
}

impl CachePolicy {
    /// No cache at all.
    pub fn off() -> Self {
        Self {
            location: CacheLocation::Off,
            ..Self::default()
        }
    }
}

/// Anything that gives tokens for a target: an [`App`] with its client credential, and
/// (later) managed identities and pipeline credentials. [`cached_token`] puts the cache
/// in front of any of them.
pub trait TokenSource {
    /// What makes two of its tokens interchangeable.
    fn cache_key(&self, target: &Target) -> Result<ScopeKey>;
    /// A fresh token (network).
    fn fetch(&self, target: &Target) -> Result<TokenResponse>;
    /// A verbose (`-v`) line; dropped by default.
    fn note(&self, _line: &str) {}
    /// A warning; dropped by default.
    fn warn(&self, _message: &str) {}
}

/// The `-v` line of a cache hit: where the token came from and how long it has left.
fn hit_line(cache: &Cache, token: &TokenResponse) -> String {
    format!(
        "* token from the cache in {}, {} left",
        cache.dir().display(),
        crate::clock::human(Duration::from_secs(token.expires_in))
    )
}

/// Warns when a fresh token lives less than the minimum validity: the cache will never
/// serve it, and every run will ask again.
fn check_lifetime(warn: &dyn Fn(&str), token: &TokenResponse, policy: &CachePolicy) {
    if Duration::from_secs(token.expires_in) < policy.min_validity {
        warn(&format!(
            "the token lives {}, less than the minimum validity of {}: the cache will never serve it",
            crate::clock::human(Duration::from_secs(token.expires_in)),
            crate::clock::human(policy.min_validity)
        ));
    }
}

/// A token from `source` through `cache`: a cached one with enough time left, else (under
/// the key's lock, after reading again) a fresh one, which is stored.
pub fn cached_token<S: TokenSource + ?Sized>(
    source: &S,
    target: &Target,
    cache: Option<&Cache>,
    policy: &CachePolicy,
) -> Result<TokenResponse> {
    let Some(cache) = cache else {
        return source.fetch(target);
    };
    let key = source.cache_key(target)?;
    if policy.read
        && let Some(hit) = cache.app_token(&key, policy.min_validity)
    {
        source.note(&hit_line(cache, &hit));
        return Ok(hit);
    }
    let _lock = cache.lock(&key);
    if policy.read
        && let Some(hit) = cache.app_token(&key, policy.min_validity)
    {
        source.note(&hit_line(cache, &hit));
        return Ok(hit);
    }
    let token = source.fetch(target)?;
    check_lifetime(&|m| source.warn(m), &token, policy);
    cache.store_app(&key, &token);
    Ok(token)
}

/// An application registration as a client: authority host, tenant, client ID and,
/// for a confidential client, its [`Credential`]; plus how to cache and how to talk HTTP.
///
/// ```no_run
/// use entra_token::{App, Target};
/// // AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret, certificate or federated token:
/// let app = App::from_env()?;
/// let token = app.token(&Target::scope("https://graph.microsoft.com/.default"))?;
/// println!("expires at {}", token.expires_on); // cached and reused by the next run
/// # Ok::<(), entra_token::Error>(())
/// ```
pub struct App {
    host: AuthorityHost,
    tenant: Tenant,
    client_id: String,
    claims: Option<String>,
    credential: Option<Credential>,
    cache_scope: Option<String>,
    cache: CachePolicy,
    http: TransportOptions,
    warn: Warn,
    loaded: OnceLock<Option<ClientCredential>>,
    transport: OnceLock<HttpTransport>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("host", &self.host.as_str())
            .field("tenant", &self.tenant.as_str())
            .field("client_id", &self.client_id)
            .field("credential", &self.credential.as_ref().map(|_| "<set>"))
            .field("cache", &self.cache)
            .finish()
    }
}

impl App {
    /// A public client of `tenant` on the public cloud, cached in the default place.
    pub fn new(tenant: Tenant, client_id: impl Into<String>) -> Self {
        Self {
            host: Cloud::Public.authority_host(),
            tenant,
            client_id: client_id.into(),
            claims: None,
            credential: None,
            cache_scope: None,
            cache: CachePolicy::default(),
            http: TransportOptions::default(),
            warn: Arc::new(|_| {}),
            loaded: OnceLock::new(),
            transport: OnceLock::new(),
        }
    }

    /// The app the environment describes, as azure-identity reads it: `AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID`, `AZURE_AUTHORITY_HOST` (optional) and the credential of
    /// [`Credential::from_env`] (none: a public client).
    pub fn from_env() -> Result<Self> {
        let required = |name: &str| {
            env::string(name)?.ok_or_else(|| Error::Invalid(format!("{name} is not set")))
        };
        let mut app = Self::new(
            Tenant::parse(&required(env::TENANT)?)?,
            required(env::CLIENT_ID)?,
        );
        if let Some(host) = env::string(env::AUTHORITY_HOST)? {
            app.host = AuthorityHost::parse(&host)?;
        }
        app.credential = Credential::from_env()?;
        Ok(app)
    }

    /// Another authority host (a national cloud, a test server on loopback).
    pub fn with_authority_host(mut self, host: AuthorityHost) -> Self {
        self.host = host;
        self
    }

    /// The confidential client's credential.
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self.loaded = OnceLock::new();
        self
    }

    /// A claims challenge (CAE) to pass with every request, as JSON.
    pub fn with_claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// Keeps this app's cached tokens apart from others of the same client and target
    /// (e.g. tokens redeemed from one refresh token file).
    pub fn with_cache_scope(mut self, scope: impl Into<String>) -> Self {
        self.cache_scope = Some(scope.into());
        self
    }

    /// How to cache.
    pub fn with_cache(mut self, cache: CachePolicy) -> Self {
        self.cache = cache;
        self
    }

    /// Timeout, extra CA, verbose log.
    pub fn with_http(mut self, http: TransportOptions) -> Self {
        self.http = http;
        self
    }

    /// Where warnings go (an expired certificate, an unusable cache entry, a cached
    /// sign-in that Entra no longer takes).
    pub fn with_warnings(mut self, warn: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.warn = Arc::new(warn);
        self
    }

    /// The authority host.
    pub fn authority_host(&self) -> &AuthorityHost {
        &self.host
    }

    /// The tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The client ID.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The cache policy.
    pub fn cache_policy(&self) -> &CachePolicy {
        &self.cache
    }

    fn warn(&self, message: &str) {
        (self.warn)(message);
    }

    fn note(&self, line: &str) {
        if let Some(log) = &self.http.log {
            log(line);
        }
    }

    /// The cache key of a token for `target` from this app.
    pub fn key(&self, target: &Target) -> ScopeKey {
        let fingerprint = self
            .credential
            .as_ref()
            .map(Credential::fingerprint)
            .unwrap_or_else(|| crate::cache::fingerprint("public", b""));
        let fingerprint = match &self.cache_scope {
            Some(scope) => format!(
                "{fingerprint}|{}",
                crate::cache::fingerprint("scope", scope.as_bytes())
            ),
            None => fingerprint,
        };
        ScopeKey::new(
            &self.client_with(None).authority(target),
            &self.client_id,
            &fingerprint,
            target,
            self.claims.as_deref(),
        )
    }

    /// The open cache, or `None` (after a warning) when it is off or cannot be used.
    pub fn open_cache(&self) -> Option<Cache> {
        open_cache(&self.cache, &self.warn)
    }

    /// The credential, parsed once (and only when a request must go out).
    pub fn client_credential(&self) -> Result<Option<&ClientCredential>> {
        if let Some(c) = self.loaded.get() {
            return Ok(c.as_ref());
        }
        let loaded = self.credential.as_ref().map(Credential::load).transpose()?;
        if let (Some(ClientCredential::Certificate(cert, _)), Some(Credential::Certificate(file))) =
            (&loaded, &self.credential)
            && cert.not_after() < crate::clock::unix_now() as i64
        {
            self.warn(&format!(
                "the certificate '{}' in {} expired on {}; Entra will likely refuse it",
                cert.subject(),
                file.path.display(),
                cert.not_after_date()
            ));
        }
        Ok(self.loaded.get_or_init(|| loaded).as_ref())
    }

    fn client_with<'a>(&'a self, credential: Option<&'a ClientCredential>) -> flow::Client<'a> {
        flow::Client {
            host: &self.host,
            tenant: &self.tenant,
            client_id: &self.client_id,
            claims: self.claims.as_deref(),
            credential,
        }
    }

    /// The [`flow::Client`] of this app, its credential loaded: for the flows.
    pub fn client(&self) -> Result<flow::Client<'_>> {
        Ok(self.client_with(self.client_credential()?))
    }

    /// The HTTP transport, built on first use.
    pub fn transport(&self) -> Result<&HttpTransport> {
        if let Some(t) = self.transport.get() {
            return Ok(t);
        }
        let t = HttpTransport::new(self.http.clone())?;
        Ok(self.transport.get_or_init(|| t))
    }

    /// Runs `future` to completion on a single-threaded runtime: one request at a time
    /// needs no more.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> Result<F::Output> {
        block_on(future)
    }

    /// An app-only token for `target` (client credentials), through the cache.
    pub fn token(&self, target: &Target) -> Result<TokenResponse> {
        cached_token(self, target, self.open_cache().as_ref(), &self.cache)
    }

    /// Redeems a refresh token for `target` (no cache).
    pub fn redeem_refresh_token(
        &self,
        refresh_token: Secret,
        target: &Target,
    ) -> Result<TokenResponse> {
        let client = self.client()?;
        let transport = self.transport()?;
        self.block_on(flow::refresh::request(
            transport,
            &client,
            target,
            refresh_token,
        ))?
    }

    /// A delegated token for `target`: a cached one with enough time left, else a silent
    /// refresh with the cached refresh token of this client (and the account `login_hint`
    /// names), else `sign_in`. The answer is stored. Refresh tokens are locked per client
    /// and account, so two scopes never redeem the same one at once.
    pub fn delegated_token(
        &self,
        target: &Target,
        login_hint: Option<&str>,
        sign_in: &dyn Fn(&App) -> Result<TokenResponse>,
    ) -> Result<TokenResponse> {
        let Some(cache) = self.open_cache() else {
            return sign_in(self);
        };
        let key = self.key(target);
        let min = self.cache.min_validity;
        if self.cache.read
            && let Some(hit) = cache.delegated_token(&key, login_hint, min)
        {
            self.note(&hit_line(&cache, &hit));
            return Ok(hit);
        }
        let _lock = cache.lock(&key);
        if self.cache.read
            && let Some(hit) = cache.delegated_token(&key, login_hint, min)
        {
            self.note(&hit_line(&cache, &hit));
            return Ok(hit);
        }
        if let Some(token) = self.refresh_cached(&cache, &key, target, login_hint)? {
            return Ok(token);
        }
        let token = sign_in(self)?;
        check_lifetime(&|m| self.warn(m), &token, &self.cache);
        if cache.store_delegated(&key, &token).is_none() {
            self.warn("the answer names no account (no id token), so it was not cached");
        }
        Ok(token)
    }

    /// The cached refresh token of this client (and hinted account) redeemed for
    /// `target` and stored; `None` when there is none, or when Entra no longer takes it
    /// (then it is forgotten, after a warning). Takes the refresh token's lock.
    fn refresh_cached(
        &self,
        cache: &Cache,
        key: &ScopeKey,
        target: &Target,
        login_hint: Option<&str>,
    ) -> Result<Option<TokenResponse>> {
        let Some((_, account)) = cache.refresh_token(key, login_hint) else {
            return Ok(None);
        };
        // Another scope of this account may be redeeming (and rotating) it right now:
        // wait for it, then take the refresh token as it is after that.
        let _rt_lock = cache.lock_refresh(key, &account);
        let Some(rt) = cache.refresh_token_of(key, &account) else {
            return Ok(None);
        };
        match self.redeem_refresh_token(rt, target) {
            Ok(token) => {
                cache.store_delegated(key, &token);
                Ok(Some(token))
            }
            Err(Error::Refused { entra, .. }) if entra.error == "invalid_grant" => {
                self.warn(&format!(
                    "the cached sign-in{} is no longer valid ({}); signing in again",
                    account
                        .username
                        .as_deref()
                        .map(|u| format!(" of {u}"))
                        .unwrap_or_default(),
                    entra.summary()
                ));
                cache.forget_refresh_token(key, &account);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Redeems the cached refresh token of this client (and hinted account) for `target`,
    /// under the cache's locks; `None` when none is cached.
    pub fn refresh_from_cache(
        &self,
        target: &Target,
        login_hint: Option<&str>,
    ) -> Result<Option<TokenResponse>> {
        let Some(cache) = self.open_cache() else {
            return Ok(None);
        };
        let key = self.key(target);
        let _lock = cache.lock(&key);
        let Some((_, account)) = cache.refresh_token(&key, login_hint) else {
            return Ok(None);
        };
        let _rt_lock = cache.lock_refresh(&key, &account);
        let Some(rt) = cache.refresh_token_of(&key, &account) else {
            return Ok(None);
        };
        let token = self.redeem_refresh_token(rt, target)?;
        cache.store_delegated(&key, &token);
        Ok(Some(token))
    }
}

impl TokenSource for App {
    fn cache_key(&self, target: &Target) -> Result<ScopeKey> {
        Ok(self.key(target))
    }

    fn note(&self, line: &str) {
        App::note(self, line);
    }

    fn warn(&self, message: &str) {
        App::warn(self, message);
    }

    fn fetch(&self, target: &Target) -> Result<TokenResponse> {
        if self.tenant.is_multi_tenant_alias() {
            return Err(Error::Invalid(format!(
                "'{}' names no single directory: app-only tokens need the directory's GUID or a verified domain",
                self.tenant.as_str()
            )));
        }
        let client = self.client()?;
        if client.credential.is_none() {
            return Err(Error::Invalid(
                "app-only tokens need a client credential: a secret, a certificate or a federated token".into(),
            ));
        }
        let transport = self.transport()?;
        self.block_on(flow::client_credentials::request(
            transport, &client, target,
        ))?
    }
}

/// The cache a policy names, or `None` (after a warning) when it is off or cannot be used.
pub fn open_cache(policy: &CachePolicy, warn: &Warn) -> Option<Cache> {
    let dir = match &policy.location {
        CacheLocation::Off => return None,
        CacheLocation::Dir(d) => d.clone(),
        CacheLocation::Default => match crate::cache::configured_dir() {
            Some(d) => d,
            None => {
                warn("no cache directory (HOME is not set); going on without a cache");
                return None;
            }
        },
    };
    let warn = warn.clone();
    Cache::open(dir, Box::new(move |m: &str| warn(m)))
}

/// Runs `future` on a new single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::local_from("cannot start the async runtime", e))?;
    Ok(runtime.block_on(future))
}
