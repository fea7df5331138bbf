//! The token cache: one JSON file per entry in a per-user directory (0700), files 0600,
//! written by temp file + rename, read-lock-re-read around every request so that
//! concurrent invocations for one key make one request. A corrupt or foreign entry is
//! ignored with a warning and replaced; a cache that cannot be used degrades to none.

pub mod key;
pub mod lock;
pub mod store;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::unix_now;
use crate::response::TokenResponse;
use crate::secret::Secret;

pub use key::{ScopeKey, fingerprint};
pub use lock::Lock;

/// The entry format; entries of another version are ignored (and replaced).
pub const FORMAT_VERSION: u32 = 1;

/// How long to wait for another process holding a key's lock before going ahead anyway.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Where warnings go (the binary prints them on stderr).
pub type Warn = Box<dyn Fn(&str)>;

/// The account a delegated token belongs to, from the id token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Object ID.
    pub oid: String,
    /// Tenant ID.
    pub tid: String,
    /// Sign-in name, when known.
    #[serde(default)]
    pub username: Option<String>,
}

impl Account {
    /// Reads the account from an id token (or, failing that, an access token) without
    /// verifying it: the token came straight from the token endpoint over TLS.
    pub fn from_tokens(token: &TokenResponse) -> Option<Self> {
        let from = |jwt: &str| -> Option<Self> {
            let claims = crate::jwt::claims(jwt).ok()?;
            let s = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Some(Self {
                oid: s("oid").or_else(|| s("sub"))?,
                tid: s("tid").unwrap_or_default(),
                username: s("preferred_username")
                    .or_else(|| s("upn"))
                    .or_else(|| s("unique_name")),
            })
        };
        token
            .id_token
            .as_ref()
            .and_then(|t| from(t.expose()))
            .or_else(|| from(token.access_token.expose()))
    }

    fn hash(&self) -> String {
        key::short_hash(&format!("{}.{}", self.oid, self.tid))
    }

    /// True when `hint` (a sign-in name) names this account.
    pub fn matches(&self, hint: &str) -> bool {
        self.username
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(hint))
    }
}

/// What kind of entry a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An app-only access token.
    App,
    /// A delegated access token.
    Delegated,
    /// A refresh token.
    Refresh,
}

/// One cache file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Format version.
    pub version: u32,
    /// Kind of entry.
    pub kind: Kind,
    /// What it was requested with.
    pub key: ScopeKey,
    /// The account, for delegated entries.
    #[serde(default)]
    pub account: Option<Account>,
    /// Token type.
    #[serde(default)]
    pub token_type: Option<String>,
    /// The access token (absent in refresh entries).
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_on: u64,
    /// As Entra sent it.
    #[serde(default)]
    pub ext_expires_in: Option<u64>,
    /// Granted scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// Resource (v1).
    #[serde(default)]
    pub resource: Option<String>,
    /// ID token.
    #[serde(default)]
    pub id_token: Option<Secret>,
    /// Refresh token (refresh entries).
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// When the entry was written, Unix seconds.
    #[serde(default)]
    pub written_at: u64,
    /// The directory's ID (`tid`) from the token, whatever the tenant was given as.
    #[serde(default)]
    pub tid: Option<String>,
}

impl Entry {
    /// The cached access token as a response: `expires_on` unchanged, `expires_in` the
    /// time left.
    pub fn token(&self, now: u64) -> Option<TokenResponse> {
        Some(TokenResponse {
            token_type: self.token_type.clone().unwrap_or_else(|| "Bearer".into()),
            access_token: self.access_token.clone()?,
            expires_in: self.expires_on.saturating_sub(now),
            expires_on: self.expires_on,
            ext_expires_in: self.ext_expires_in,
            scope: self.scope.clone(),
            resource: self.resource.clone(),
            refresh_token: None,
            id_token: self.id_token.clone(),
        })
    }

    fn valid_for(&self, min_validity: Duration, now: u64) -> bool {
        self.access_token
            .as_ref()
            .is_some_and(|t| crate::inert::is_token_text(t.expose()))
            && self.expires_on >= now.saturating_add(min_validity.as_secs())
    }
}

/// An open cache directory.
pub struct Cache {
    dir: PathBuf,
    warn: Warn,
    /// Entries already warned about: one warning per entry and run.
    warned: std::cell::RefCell<std::collections::HashSet<PathBuf>>,
}

impl Cache {
    /// Opens (creating with mode 0700) the cache directory. `None`, after a warning, when
    /// it cannot be used: the caller goes on without a cache.
    pub fn open(dir: PathBuf, warn: Warn) -> Option<Self> {
        if let Err(e) = store::create_private_dir(&dir) {
            if e.kind() == std::io::ErrorKind::PermissionDenied
                && e.to_string().starts_with("owned by")
            {
                warn(&format!(
                    "not using the token cache at {}: it is {e}; going on without it",
                    dir.display()
                ));
                return None;
            }
            warn(&format!(
                "cannot use the token cache at {}: {e}; going on without it",
                dir.display()
            ));
            return None;
        }
        Some(Self {
            dir,
            warn,
            warned: Default::default(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn at_path(&self, key: &ScopeKey, account: Option<&Account>) -> PathBuf {
        let who = account.map(Account::hash).unwrap_or_else(|| "app".into());
        self.dir.join(format!("at-{}-{who}.json", key.hash()))
    }

    fn rt_path(&self, key: &ScopeKey, account: &Account) -> PathBuf {
        self.dir
            .join(format!("rt-{}-{}.json", key.client_hash(), account.hash()))
    }

    /// Takes the per-key lock, waiting at most [`LOCK_WAIT`]; after that, or if locking
    /// fails, goes on unlocked (with a warning).
    pub fn lock(&self, key: &ScopeKey) -> Lock {
        lock::acquire(
            &self.dir.join(format!("at-{}.lock", key.hash())),
            &*self.warn,
        )
    }

    /// Takes the lock of one account's refresh token for this client (whatever the
    /// scope): two scopes never redeem the same refresh token at once. Take it after the
    /// scope lock, then re-read the refresh token with [`Cache::refresh_token_of`].
    pub fn lock_refresh(&self, key: &ScopeKey, account: &Account) -> Lock {
        lock::acquire(
            &self
                .dir
                .join(format!("rt-{}-{}.lock", key.client_hash(), account.hash())),
            &*self.warn,
        )
    }

    /// The refresh token of this client and account as it is on disk now.
    pub fn refresh_token_of(&self, key: &ScopeKey, account: &Account) -> Option<Secret> {
        self.read(&self.rt_path(key, account))
            .filter(|e| e.kind == Kind::Refresh && e.key.client_hash() == key.client_hash())
            .and_then(|e| e.refresh_token)
            .filter(|rt| crate::inert::is_token_text(rt.expose()))
    }

    fn warn_once(&self, path: &Path, message: &str) {
        if self.warned.borrow_mut().insert(path.to_path_buf()) {
            (self.warn)(message);
        }
    }

    fn read(&self, path: &Path) -> Option<Entry> {
        let bytes = match read_entry(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.warn_once(
                    path,
                    &format!("ignoring unreadable cache entry {}: {e}", path.display()),
                );
                return None;
            }
        };
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(entry) if entry.version == FORMAT_VERSION => Some(entry),
            Ok(entry) => {
                self.warn_once(path, &format!(
                    "ignoring cache entry {} of format version {} (this entra-token writes {FORMAT_VERSION}); it will be replaced",
                    path.display(),
                    entry.version
                ));
                None
            }
            Err(_) => {
                self.warn_once(
                    path,
                    &format!(
                        "ignoring corrupt cache entry {}; it will be replaced",
                        path.display()
                    ),
                );
                None
            }
        }
    }

    fn write(&self, path: &Path, entry: &Entry) {
        let result = serde_json::to_vec(entry)
            .map_err(std::io::Error::other)
            .and_then(|json| store::write_atomic(path, &json));
        if let Err(e) = result {
            (self.warn)(&format!(
                "cannot write the token cache entry {}: {e}",
                path.display()
            ));
        }
    }

    fn entries_with_prefix(&self, prefix: &str) -> Vec<(PathBuf, Entry)> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, Entry)> = dir
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with(prefix) && name.ends_with(".json")
            })
            .filter_map(|e| {
                let p = e.path();
                self.read(&p).map(|entry| (p, entry))
            })
            .collect();
        out.sort_by_key(|(_, e)| std::cmp::Reverse(e.written_at));
        out
    }

    /// An app-only access token with at least `min_validity` left.
    pub fn app_token(&self, key: &ScopeKey, min_validity: Duration) -> Option<TokenResponse> {
        let now = unix_now();
        self.read(&self.at_path(key, None))
            .filter(|e| e.key == *key && e.valid_for(min_validity, now))
            .and_then(|e| e.token(now))
    }

    /// Stores an app-only access token.
    pub fn store_app(&self, key: &ScopeKey, token: &TokenResponse) {
        let entry = entry_from(Kind::App, key, None, token);
        self.write(&self.at_path(key, None), &entry);
    }

    /// A delegated access token with at least `min_validity` left, for the account that
    /// `login_hint` names (any account without a hint; the most recent first).
    pub fn delegated_token(
        &self,
        key: &ScopeKey,
        login_hint: Option<&str>,
        min_validity: Duration,
    ) -> Option<TokenResponse> {
        let now = unix_now();
        self.entries_with_prefix(&format!("at-{}-", key.hash()))
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind == Kind::Delegated && e.key == *key)
            .filter(|e| hint_ok(e.account.as_ref(), login_hint))
            .find(|e| e.valid_for(min_validity, now))
            .and_then(|e| e.token(now))
    }

    /// The most recent refresh token for this client (any scope) and hinted account.
    pub fn refresh_token(
        &self,
        key: &ScopeKey,
        login_hint: Option<&str>,
    ) -> Option<(Secret, Account)> {
        self.entries_with_prefix(&format!("rt-{}-", key.client_hash()))
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| e.kind == Kind::Refresh && e.key.client_hash() == key.client_hash())
            .filter(|e| hint_ok(e.account.as_ref(), login_hint))
            .find_map(|e| Some((e.refresh_token.clone()?, e.account.clone()?)))
    }

    /// Stores a delegated answer: the access token under its scope key and account, and
    /// the refresh token (if any) under the client and account.
    pub fn store_delegated(&self, key: &ScopeKey, token: &TokenResponse) -> Option<Account> {
        let account = Account::from_tokens(token)?;
        let entry = entry_from(Kind::Delegated, key, Some(&account), token);
        self.write(&self.at_path(key, Some(&account)), &entry);
        if let Some(rt) = &token.refresh_token {
            let mut refresh = entry_from(Kind::Refresh, key, Some(&account), token);
            refresh.access_token = None;
            refresh.id_token = None;
            refresh.refresh_token = Some(rt.clone());
            self.write(&self.rt_path(key, &account), &refresh);
        }
        Some(account)
    }

    /// Forgets a refresh token Entra refused.
    pub fn forget_refresh_token(&self, key: &ScopeKey, account: &Account) {
        let _ = fs::remove_file(self.rt_path(key, account));
    }

    /// Every readable entry (for `cache list`), newest first.
    pub fn list(&self) -> Vec<Entry> {
        let mut all = self.entries_with_prefix("at-");
        all.extend(self.entries_with_prefix("rt-"));
        all.into_iter().map(|(_, e)| e).collect()
    }

    /// Deletes entries: all of them (with lock and unreadable files) when `filter` is
    /// `None`, else those whose tenant and client match the given ones. Returns how many
    /// entries went.
    pub fn clear(&self, filter: Option<&ClearFilter>) -> usize {
        // A tenant given as a domain also names the directory ID its entries recorded.
        let filter = filter.map(|f| {
            let mut f = f.clone();
            if let Some(t) = &f.tenant {
                f.also_tids = self
                    .list()
                    .iter()
                    .filter(|e| e.key.tenant.eq_ignore_ascii_case(t))
                    .filter_map(|e| e.tid.clone())
                    .collect();
            }
            f
        });
        let filter = filter.as_ref();
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for e in dir.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let is_entry = name.ends_with(".json");
            let gone = match filter {
                None => is_entry || name.ends_with(".lock") || name.starts_with(".tmp-"),
                Some(f) => {
                    is_entry
                        && read_entry(&path)
                            .ok()
                            .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
                            .is_some_and(|entry| f.matches(&entry))
                }
            };
            if gone && fs::remove_file(&path).is_ok() && is_entry {
                removed += 1;
            }
        }
        removed
    }
}

/// An entry's bytes: a regular file, not through a symbolic link, at most 1 MiB.
fn read_entry(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = crate::input::open_regular(path, crate::input::Follow::NoLinks)?;
    crate::input::read_bounded(file)
}

/// Which entries `cache clear` removes.
#[derive(Debug, Clone, Default)]
pub struct ClearFilter {
    /// Only this tenant (as given when the token was requested).
    pub tenant: Option<String>,
    /// Only this client ID.
    pub client_id: Option<String>,
    /// Directory IDs the tenant stands for (found by [`Cache::clear`]).
    pub also_tids: Vec<String>,
}

impl ClearFilter {
    fn matches(&self, e: &Entry) -> bool {
        self.tenant.as_ref().is_none_or(|t| {
            t.eq_ignore_ascii_case(&e.key.tenant)
                || e.tid.as_deref().is_some_and(|tid| {
                    tid.eq_ignore_ascii_case(t)
                        || self.also_tids.iter().any(|a| a.eq_ignore_ascii_case(tid))
                })
        }) && self
            .client_id
            .as_ref()
            .is_none_or(|c| c.eq_ignore_ascii_case(&e.key.client_id))
    }
}

fn hint_ok(account: Option<&Account>, hint: Option<&str>) -> bool {
    match hint {
        None => true,
        Some(h) => account.is_some_and(|a| a.matches(h)),
    }
}

fn entry_from(kind: Kind, key: &ScopeKey, account: Option<&Account>, t: &TokenResponse) -> Entry {
    Entry {
        version: FORMAT_VERSION,
        kind,
        key: key.clone(),
        account: account.cloned(),
        token_type: Some(t.token_type.clone()),
        access_token: Some(t.access_token.clone()),
        expires_on: t.expires_on,
        ext_expires_in: t.ext_expires_in,
        scope: t.scope.clone(),
        resource: t.resource.clone(),
        id_token: t.id_token.clone(),
        refresh_token: None,
        written_at: unix_now(),
        tid: account
            .map(|a| a.tid.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| {
                crate::jwt::claims(t.access_token.expose())
                    .ok()?
                    .get("tid")?
                    .as_str()
                    .map(str::to_ascii_lowercase)
            }),
    }
}

/// The directory the environment names: `ENTRA_TOKEN_CACHE_DIR`, else [`default_dir`].
pub fn configured_dir() -> Option<PathBuf> {
    crate::env::var(crate::env::CACHE_DIR)
        .map(PathBuf::from)
        .or_else(default_dir)
}

/// The default cache directory: `$XDG_CACHE_HOME/entra-token` on Linux, the platform's
/// cache directory elsewhere (`~/Library/Caches`, `%LOCALAPPDATA%`).
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("entra-token"))
}
