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
        }
    }
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
