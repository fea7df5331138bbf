//! Every environment variable the library and the tool read, in one place.

/// `AZURE_TENANT_ID`.
pub const TENANT: &str = "AZURE_TENANT_ID";
/// `AZURE_CLIENT_ID`.
pub const CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// `AZURE_CLIENT_SECRET`.
pub const CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// `AZURE_AUTHORITY_HOST`.
pub const AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
/// `ENTRA_TOKEN_CACHE_DIR`.
pub const CACHE_DIR: &str = "ENTRA_TOKEN_CACHE_DIR";
/// `GITHUB_ENV`.
pub const GITHUB_ENV: &str = "GITHUB_ENV";
/// `AZURE_CLIENT_CERTIFICATE_PATH`.
pub const CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
/// `AZURE_CLIENT_CERTIFICATE_PASSWORD`.
pub const CERTIFICATE_PASSWORD: &str = "AZURE_CLIENT_CERTIFICATE_PASSWORD";
/// `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN`.
pub const SEND_CERTIFICATE_CHAIN: &str = "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN";
/// `AZURE_FEDERATED_TOKEN_FILE`.
pub const FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";
/// `ACTIONS_ID_TOKEN_REQUEST_URL`.
pub const GITHUB_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub const GITHUB_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// `KUBERNETES_EXEC_INFO`.
pub const KUBERNETES_EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";
/// `SYSTEM_OIDCREQUESTURI`.
pub const PIPELINES_OIDC_URI: &str = "SYSTEM_OIDCREQUESTURI";
/// `SYSTEM_ACCESSTOKEN`.
pub const PIPELINES_ACCESS_TOKEN: &str = "SYSTEM_ACCESSTOKEN";
/// `AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`.
pub const PIPELINES_CONNECTION_ID: &str = "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID";
/// `AZURESUBSCRIPTION_CLIENT_ID`.
pub const PIPELINES_CLIENT_ID: &str = "AZURESUBSCRIPTION_CLIENT_ID";
/// `AZURESUBSCRIPTION_TENANT_ID`.
pub const PIPELINES_TENANT_ID: &str = "AZURESUBSCRIPTION_TENANT_ID";

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

/// An environment variable as text; unset and empty are `None`, and a value that is not
/// UTF-8 is an error naming the variable.
pub fn string(name: &str) -> crate::Result<Option<String>> {
    var(name)
        .map(|v| {
            v.into_string()
                .map_err(|_| crate::Error::Invalid(format!("{name} is not valid UTF-8")))
        })
        .transpose()
}
