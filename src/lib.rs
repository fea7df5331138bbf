//! Get Microsoft Entra ID (Azure AD) OAuth2 tokens: cached, silently refreshed, and with
//! Entra's refusals kept as evidence. The `entra-token` command line is a thin layer on
//! this library; a Rust program gets the same in five lines:
//!
//! ```no_run
//! use entra_token::{App, Target};
//! // AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret, certificate or federated token:
//! let app = App::from_env()?;
//! let token = app.token(&Target::scope("https://graph.microsoft.com/.default"))?;
//! let header = format!("Bearer {}", token.access_token.expose());
//! # let _ = header;
//! # Ok::<(), entra_token::Error>(())
//! ```
//!
//! The second call within the token's lifetime (less five minutes) is a cache hit: no
//! network, no async runtime, no TLS set-up. `examples/get-token.rs` is this example as a
//! program. Without the default `cli` feature the crate builds none of the command line's
//! dependencies (clap, clap_complete, clap_mangen, webbrowser, anyhow).
//!
//! # The pieces
//!
//! - [`App`] is a client: authority host (a [`authority::Cloud`] or a loopback test
//!   server), [`authority::Tenant`], client ID, an optional [`Credential`] (where the
//!   proof comes from; [`Credential::from_env`] holds the `AZURE_*` precedence), a
//!   claims challenge, a [`CachePolicy`] and [`transport::TransportOptions`].
//!   [`App::token`] gets app-only tokens; [`App::delegated_token`] tries the cache, then
//!   the cached refresh token, then the sign-in you pass (device code, browser);
//!   [`App::redeem_refresh_token`] redeems one you hold.
//! - [`TokenSource`] is what any source of tokens implements, so that [`app::cached_token`]
//!   can put the cache in front of it: [`App`] today, managed identities next.
//! - [`Error`] is typed and keeps its source: [`Error::kind`] says whether a value was
//!   [`ErrorKind::Invalid`], the problem is local (a file: [`Error::Read`]; a certificate:
//!   [`credential::certificate::CertificateError`], e.g. a wrong or a missing PFX
//!   password), Entra refused ([`Error::Refused`] with its [`EntraError`] evidence and a
//!   hint), the transport failed, or a sign-in did not complete. Messages never name a
//!   command-line flag and never hold a secret.
//! - [`Secret`] holds every secret, code and token: its `Debug` is redacted, and it has
//!   no `Display`.
//!
//! # One request, whatever the flow
//!
//! 1. [`authority`] names the endpoint: cloud or authority host (https, or http for
//!    loopback only), tenant, and v1 or v2, chosen by the [`Target`] (`scope=` on v2,
//!    `resource=` on v1) through [`flow::Client::authority`].
//! 2. A [`credential::ClientCredential`] becomes client authentication
//!    ([`request::ClientAuth`]): a client secret, a certificate-signed assertion
//!    ([`credential::assertion`], a fresh one per request) or a federated token
//!    ([`credential::federated`]); public clients have none.
//! 3. [`request::TokenRequest::form`] builds the ordered form pairs of the grant. It is
//!    pure; secrets are [`Secret`]s, so `-v` output redacts them by type.
//! 4. [`transport::Transport`] is the only way out: [`transport::HttpTransport`] adds
//!    `client-request-id`, `return-client-request-id` and `User-Agent`, a timeout, at most
//!    two retries on 429/5xx honouring `Retry-After`, a 1 MiB body cap, no redirects, no
//!    proxy for loopback, rustls on ring. Tests answer in memory instead.
//! 5. [`response::parse_token`] turns the answer into a [`TokenResponse`] (v1 string
//!    numbers become numbers, lifetimes are clamped, tokens must be one word) or an
//!    [`Error`].
//!
//! Steps 2 to 5 are [`flow::redeem`]; the flows in [`flow`] only choose a grant:
//! [`flow::client_credentials`], [`flow::device_code`] (a polling state machine with time
//! passed in), [`flow::auth_code`] (PKCE from [`pkce`], the redirect listener or
//! paste-back in [`loopback`]) and [`flow::refresh`]; [`flow::admin_consent`] uses the same
//! redirect path but redeems nothing. Around them, [`cache`] keeps tokens per user
//! (0700/0600, atomic writes, per-key and per-account locks), [`input`] reads outside
//! input bounded, [`inert`] makes server text safe for a terminal, [`jwt`] reads tokens
//! without verifying them, and [`clients`] names Microsoft's well-known public clients.

#![warn(missing_docs)]

pub mod app;
pub mod authority;
pub mod cache;
pub mod claims;
pub mod clients;
pub mod clock;
pub mod credential;
pub mod entra_error;
pub mod env;
pub mod error;
pub mod flow;
pub mod inert;
pub mod input;
pub mod jwt;
pub mod loopback;
pub mod managed_identity;
pub mod pkce;
pub mod request;
pub mod response;
pub mod scope;
pub mod secret;
pub mod transport;

pub use app::{App, CacheLocation, CachePolicy, TokenSource};
pub use credential::Credential;
pub use entra_error::EntraError;
pub use error::{Error, ErrorKind, Result};
pub use response::TokenResponse;
pub use scope::Target;
pub use secret::Secret;
