//! Every environment variable the tool reads, in one place.

pub const TENANT: &str = "AZURE_TENANT_ID";
pub const CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub const AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
pub const CACHE_DIR: &str = "ENTRA_TOKEN_CACHE_DIR";
pub const GITHUB_ENV: &str = "GITHUB_ENV";
pub const CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
pub const CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
pub const SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
pub const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
pub const GITHUB_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
pub const GITHUB_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// A boolean environment variable: `1`, `true`, `yes` (any case) mean true.
pub fn flag(name: &str) -> bool {
    var(name)
        .and_then(|v| v.into_string().ok())
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// An environment variable's value; unset and empty are both `None`.
pub fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}
