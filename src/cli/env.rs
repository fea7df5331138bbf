//! Every environment variable the tool reads, in one place.

pub const TENANT: &str = "AZURE_TENANT_ID";
pub const CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub const AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";

/// An environment variable's value; unset and empty are both `None`.
pub fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}
