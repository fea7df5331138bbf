//! Federated credentials: a token from another identity provider, sent as the client
//! assertion (workload identity federation). Kubernetes projects it into a file and
//! rotates it; GitHub Actions hands it out from an endpoint of the running job.

use std::path::PathBuf;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::response::parse;
use crate::secret::Secret;
use crate::transport::Transport;

/// The audience Entra expects in federated tokens.
pub const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Where the federated token comes from.
#[derive(Debug, Clone)]
pub enum FederatedSource {
    /// A file, re-read on every run (AKS workload identity rotates it).
    File(PathBuf),
    /// The GitHub Actions OIDC endpoint of the running job.
    GitHub(GitHubOidc),
    /// An Azure Pipelines service connection's OIDC token (workload identity federation).
    AzurePipelines(PipelinesOidc),
    /// A user-assigned managed identity's token for the token-exchange audience (an app
    /// that trusts the identity).
    ManagedIdentity(Box<crate::managed_identity::ManagedIdentity>, String),
}

/// The Azure Pipelines OIDC request: `SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN` and the
/// service connection.
#[derive(Debug, Clone)]
pub struct PipelinesOidc {
    /// `SYSTEM_OIDCREQUESTURI`.
    pub request_uri: String,
    /// `SYSTEM_ACCESSTOKEN`, the job's access token.
    pub access_token: Secret,
    /// The service connection's ID.
    pub service_connection_id: String,
}

impl PipelinesOidc {
    /// `POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=ID`, empty body.
    pub fn request_url(&self) -> Result<String> {
        let mut url = url::Url::parse(self.request_uri.trim_end_matches('/'))
            .map_err(|e| Error::Invalid(format!("the OIDC request URI is not a URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", "7.1")
            .append_pair("serviceConnectionId", &self.service_connection_id);
        Ok(url.into())
    }
}

#[derive(Deserialize)]
struct PipelinesAnswer {
    #[serde(rename = "oidcToken")]
    oidc_token: String,
}

/// The token-exchange audience of a cloud, chosen by its authority host.
pub fn exchange_audience(authority_host: &str) -> &'static str {
    let host = authority_host.to_ascii_lowercase();
    if host.contains("login.microsoftonline.us") {
        "api://AzureADTokenExchangeUSGov"
    } else if host.contains("login.chinacloudapi.cn") || host.contains("microsoftonline.cn") {
        "api://AzureADTokenExchangeChina"
    } else {
        DEFAULT_AUDIENCE
    }
}

/// The GitHub Actions OIDC request: `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`.
#[derive(Debug, Clone)]
pub struct GitHubOidc {
    /// The job's token request URL.
    pub request_url: String,
    /// The bearer token for that URL.
    pub request_token: Secret,
    /// The audience to ask for.
    pub audience: String,
}

#[derive(Deserialize)]
struct GitHubAnswer {
    value: String,
}

impl FederatedSource {
    /// Gets the federated token to present as the client assertion.
    pub async fn assertion<T: Transport>(&self, transport: &T) -> Result<Secret> {
        match self {
            Self::File(path) => {
                let bytes = crate::input::read_file(path).map_err(|source| Error::Read {
                    what: "the federated token file",
                    path: path.clone(),
                    source,
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    Error::local(format!(
                        "the federated token file {} is not UTF-8 text",
                        path.display()
                    ))
                })?;
                let token = text.trim();
                if token.is_empty() {
                    return Err(Error::local(format!(
                        "the federated token file {} is empty",
                        path.display()
                    )));
                }
                Ok(Secret::new(token))
            }
            Self::GitHub(gh) => {
                let url = github_url(&gh.request_url, &gh.audience)?;
                let resp = transport.get(&url, Some(&gh.request_token)).await?;
                if !(200..300).contains(&resp.status) {
                    return Err(Error::transport(
                        format!(
                            "GitHub's OIDC token endpoint answered HTTP {}; the job needs `permissions: id-token: write`",
                            resp.status
                        ),
                        Some(resp.client_request_id.clone()),
                    ));
                }
                let answer: GitHubAnswer =
                    parse(&resp, "the GitHub OIDC request", "a GitHub OIDC answer")?;
                if answer.value.is_empty() {
                    return Err(Error::transport(
                        "GitHub's OIDC token endpoint answered with an empty token",
                        Some(resp.client_request_id),
                    ));
                }
                Ok(Secret::new(answer.value))
            }
            Self::AzurePipelines(p) => pipelines_token(transport, p).await,
            Self::ManagedIdentity(mi, audience) => {
                let token = mi.token(audience).await?;
                Ok(token.access_token)
            }
        }
    }
}

/// A fresh OIDC token from Azure Pipelines (they live about ten minutes): any answer but
/// 200 with `oidcToken`, a redirect included, is a refusal that shows the status, the
/// message and the `x-vss-e2eid` and `x-msedge-ref` ids.
async fn pipelines_token<T: Transport>(transport: &T, p: &PipelinesOidc) -> Result<Secret> {
    use crate::request::FormValue;
    use crate::transport::{HttpRequest, Method};
    let url = p.request_url()?;
    let request = HttpRequest {
        method: Method::Post,
        url: &url,
        headers: vec![
            (
                "Authorization",
                FormValue::Secret(Secret::new(format!("Bearer {}", p.access_token.expose()))),
            ),
            ("Content-Type", FormValue::Plain("application/json".into())),
            ("X-TFS-FedAuthRedirect", FormValue::Plain("Suppress".into())),
        ],
        body: Vec::new(),
    };
    let resp = transport.call(&request).await?;
    let answer = (resp.status == 200)
        .then(|| serde_json::from_slice::<PipelinesAnswer>(&resp.body).ok())
        .flatten()
        .filter(|a| crate::inert::is_token_text(&a.oidc_token));
    if let Some(a) = answer {
        return Ok(Secret::new(a.oidc_token));
    }
    let message = serde_json::from_slice::<serde_json::Value>(&resp.body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("value"))
                .and_then(|m| m.as_str().map(str::to_owned))
        })
        .or_else(|| {
            String::from_utf8_lossy(&resp.body)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(|l| l.chars().take(300).collect())
        })
        .unwrap_or_else(|| "no body".into());
    let ids: Vec<String> = ["x-vss-e2eid", "x-msedge-ref"]
        .iter()
        .filter_map(|h| resp.header(h).map(|v| format!("{h} {v}")))
        .collect();
    Err(Error::Refused {
        what: "the Azure Pipelines OIDC request",
        entra: Box::new(crate::EntraError {
            error: format!("http_{}", resp.status),
            codes: Vec::new(),
            description: Some(if ids.is_empty() {
                message
            } else {
                format!("{message} ({})", ids.join(", "))
            }),
            trace_id: None,
            correlation_id: None,
            suberror: None,
            status: resp.status,
        }),
        client_request_id: None,
    })
}

/// The request URL with `audience=` added to its query.
pub fn github_url(request_url: &str, audience: &str) -> Result<String> {
    let mut url = url::Url::parse(request_url)
        .map_err(|e| Error::Invalid(format!("the OIDC request URL is not a URL: {e}")))?;
    if url.scheme() != "https" {
        let loopback = crate::authority::is_loopback(url.host_str().unwrap_or_default());
        if !(url.scheme() == "http" && loopback) {
            return Err(Error::Invalid(
                "the OIDC request URL must be https (http only for loopback hosts)".into(),
            ));
        }
    }
    url.query_pairs_mut().append_pair("audience", audience);
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_is_appended_to_the_existing_query() {
        assert_eq!(
            github_url(
                "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
                DEFAULT_AUDIENCE
            )
            .unwrap(),
            "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"
        );
        assert!(github_url("http://example.com/x", "a").is_err());
        assert!(github_url("http://127.0.0.1:9/x", "a").is_ok());
        assert!(github_url("not a url", "a").is_err());
    }
}

#[cfg(test)]
mod audience_tests {
    use super::*;

    #[test]
    fn the_exchange_audience_follows_the_cloud() {
        assert_eq!(
            exchange_audience("https://login.microsoftonline.com"),
            "api://AzureADTokenExchange"
        );
        assert_eq!(
            exchange_audience("https://login.microsoftonline.us"),
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            exchange_audience("https://login.chinacloudapi.cn"),
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(
            exchange_audience("https://login.partner.microsoftonline.cn"),
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(
            exchange_audience("http://127.0.0.1:8400"),
            "api://AzureADTokenExchange"
        );
    }

    #[test]
    fn the_pipelines_request_url_carries_version_and_connection() {
        let p = PipelinesOidc {
            request_uri: "https://vstoken.dev.azure.com/org/_apis/oidctoken/".into(),
            access_token: Secret::new("t"),
            service_connection_id: "sc-1".into(),
        };
        assert_eq!(
            p.request_url().unwrap(),
            "https://vstoken.dev.azure.com/org/_apis/oidctoken?api-version=7.1&serviceConnectionId=sc-1"
        );
    }
}
