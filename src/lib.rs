//! `entra-token` gets Microsoft Entra ID (Azure AD) OAuth2 tokens.
//!
//! The library never prints; the binary (`src/main.rs`, `src/cli/`) owns stdout and
//! stderr. A token request goes through the same few steps whatever the flow:
//!
//! 1. [`authority`] names the endpoint: cloud or authority host (https, or http for
//!    loopback only), tenant, and v1 or v2, chosen by [`scope::Target`] (`scope=` on v2,
//!    `resource=` on v1).
//! 2. A [`credential::ClientCredential`] becomes client authentication
//!    ([`request::ClientAuth`]): a client secret, a certificate-signed assertion
//!    ([`credential::assertion`], a fresh one per request) or a federated token
//!    ([`credential::federated`]); public clients have none.
//! 3. [`request::TokenRequest::form`] builds the ordered form pairs of the grant. It is
//!    pure; secrets are [`Secret`]s, so `-v` output redacts them by type.
//! 4. [`transport::Transport`] is the only HTTP call site: headers (`client-request-id`,
//!    `return-client-request-id`, `User-Agent`), timeout, at most two retries on 429/5xx
//!    honouring `Retry-After`, a 1 MiB body cap, no redirects, rustls on ring.
//! 5. [`response::parse_token`] turns the answer into a [`TokenResponse`] (v1 string
//!    numbers become numbers) or an [`Error`] whose [`ErrorKind`] picks the exit code;
//!    Entra's refusals keep their evidence in [`EntraError`].
//!
//! Steps 2 to 5 are [`flow::redeem`]; the flows in [`flow`] only choose a grant:
//! [`flow::client_credentials`], [`flow::device_code`] (a polling state machine with time
//! passed in), [`flow::auth_code`] (PKCE from [`pkce`], the redirect listener or
//! paste-back in [`loopback`]) and [`flow::refresh`]; [`flow::admin_consent`] uses the same
//! redirect path but redeems nothing. Around them, [`cache`] keeps tokens per user
//! (0700/0600, atomic writes, a per-key lock for single flight), [`jwt`] reads tokens
//! without verifying them, and [`clients`] names Microsoft's well-known public clients.

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
