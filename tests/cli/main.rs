//! Integration tests of the real `entra-token` binary against the strict fake Entra.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "../support/mod.rs"]
mod support;

mod admin_consent;
mod auth_code;
mod cache;
mod certificate;
mod client_credentials;
mod device_code;
mod everyday;
mod federated;
mod help;
mod hostile;
mod library;
mod managed_identity;
mod newuser;
mod refresh;
mod stress;
mod transport;
