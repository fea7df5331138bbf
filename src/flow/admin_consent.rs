//! Admin consent: an administrator installs an app into a whole tenant. v2 opens the
//! `/adminconsent` endpoint with scopes; v1 opens `/oauth2/authorize` with
//! `prompt=admin_consent` and a resource. Nothing is redeemed: the redirect (through
//! [`crate::loopback`]) says whether consent was granted, and in which directory.

use url::Url;

use crate::authority::{EndpointVersion, Tenant};
use crate::entra_error::EntraError;
use crate::error::{Error, Result};
use crate::loopback::Redirect;
use crate::pkce::random_state;
use crate::scope::Target;

/// An admin consent request: the app (`client`) to install, and v2 scopes
/// (`/adminconsent`) or a v1 resource (`prompt=admin_consent`).
#[derive(Debug, Clone, Copy)]
pub struct AdminConsent<'a> {
    /// Host, tenant and the app; no credential is used.
    pub client: super::Client<'a>,
    /// Scopes or resource.
    pub target: &'a Target,
}

/// One consent attempt: where the browser goes and the `state` to expect back.
#[derive(Debug, Clone)]
pub struct ConsentAttempt {
    /// Where the browser goes.
    pub url: String,
    /// The `state` to expect back.
    pub state: String,
}

impl AdminConsent<'_> {
    /// Builds the consent URL for `redirect_uri` with a fresh `state`.
    pub fn attempt(&self, redirect_uri: &str) -> Result<ConsentAttempt> {
        self.attempt_with_state(redirect_uri, random_state()?)
    }

    fn attempt_with_state(&self, redirect_uri: &str, state: String) -> Result<ConsentAttempt> {
        let authority = self.client.authority(self.target);
        let endpoint = match self.target.version() {
            EndpointVersion::V2 => authority.adminconsent_url(),
            EndpointVersion::V1 => authority.authorize_url(),
        };
        let mut url = Url::parse(&endpoint)
            .map_err(|e| Error::Invalid(format!("the admin consent URL is not valid: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", self.client.client_id);
            match self.target {
                Target::Scopes(scopes) => {
                    q.append_pair("scope", &scopes.join(" "))
                        .append_pair("redirect_uri", redirect_uri);
                }
                Target::Resource(resource) => {
                    q.append_pair("response_type", "code")
                        .append_pair("redirect_uri", redirect_uri)
                        .append_pair("resource", resource)
                        .append_pair("prompt", "admin_consent");
                }
            }
            q.append_pair("state", &state);
        }
        Ok(ConsentAttempt {
            url: url.into(),
            state,
        })
    }

    /// What a state-checked redirect means: the tenant that consented, or Entra's refusal.
    ///
    /// v2 answers `admin_consent=True&tenant=GUID`; v1 answers with a code (not redeemed)
    /// and names no tenant, so the tenant is the one the request named.
    pub fn outcome(&self, redirect: Redirect) -> Result<String> {
        match (redirect, self.target.version()) {
            (
                Redirect::Consent {
                    tenant: Some(t), ..
                },
                _,
            ) => Tenant::parse(&t)
                .map(|t| t.as_str().to_owned())
                .map_err(|_| {
                    Error::SignIn(format!(
                        "the consent redirect names no valid tenant ('{}')",
                        t.escape_default()
                    ))
                }),
            (Redirect::Consent { tenant: None, .. }, _) => {
                Ok(self.client.tenant.as_str().to_owned())
            }
            (Redirect::Code { .. }, EndpointVersion::V1) => {
                Ok(self.client.tenant.as_str().to_owned())
            }
            (Redirect::Code { .. }, EndpointVersion::V2) => Err(Error::SignIn(
                "the redirect carries a code, not an admin consent".into(),
            )),
            (
                Redirect::Error {
                    error, description, ..
                },
                _,
            ) => Err(Error::Refused {
                what: "the admin consent",
                entra: Box::new(EntraError::from_redirect(&error, description.as_deref())),
                client_request_id: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::AuthorityHost;
    use crate::secret::Secret;

    fn consent(target: Target) -> AdminConsent<'static> {
        let host = Box::leak(Box::new(
            AuthorityHost::parse("https://login.microsoftonline.com").unwrap(),
        ));
        let tenant = Box::leak(Box::new(Tenant::parse("organizations").unwrap()));
        AdminConsent {
            client: super::super::Client {
                host,
                tenant,
                client_id: "cid",
                claims: None,
                credential: None,
            },
            target: Box::leak(Box::new(target)),
        }
    }

    #[test]
    fn v2_opens_adminconsent_with_scopes_redirect_and_state() {
        let c = consent(Target::new(&[], None).unwrap());
        let a = c
            .attempt_with_state("http://localhost:4711", "S".into())
            .unwrap();
        assert_eq!(
            a.url,
            "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=cid&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=http%3A%2F%2Flocalhost%3A4711&state=S"
        );
    }

    #[test]
    fn v1_opens_authorize_with_prompt_admin_consent_and_no_pkce() {
        let c = consent(Target::new(&[], Some("https://management.azure.com/")).unwrap());
        let a = c
            .attempt_with_state("http://localhost:4711", "S".into())
            .unwrap();
        assert_eq!(
            a.url,
            "https://login.microsoftonline.com/organizations/oauth2/authorize?client_id=cid&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A4711&resource=https%3A%2F%2Fmanagement.azure.com%2F&prompt=admin_consent&state=S"
        );
    }

    #[test]
    fn outcomes_name_the_tenant_or_keep_the_evidence() {
        let v2 = consent(Target::new(&[], None).unwrap());
        let granted = Redirect::Consent {
            tenant: Some("t-guid".into()),
            state: None,
        };
        assert_eq!(v2.outcome(granted).unwrap(), "t-guid");
        let forged = Redirect::Consent {
            tenant: Some("t\n\u{1b}[2J".into()),
            state: None,
        };
        assert_eq!(
            v2.outcome(forged).unwrap_err().kind(),
            crate::ErrorKind::SignIn
        );
        let code = || Redirect::Code {
            code: Secret::new("c"),
            state: None,
        };
        assert_eq!(
            v2.outcome(code()).unwrap_err().kind(),
            crate::ErrorKind::SignIn
        );
        let v1 = consent(Target::new(&[], Some("https://graph.microsoft.com")).unwrap());
        assert_eq!(v1.outcome(code()).unwrap(), "organizations");
        let refused = Redirect::Error {
            error: "access_denied".into(),
            description: Some("AADSTS90093: Calling principal cannot consent.\r\nTrace ID: tr-1\r\nCorrelation ID: co-1\r\nTimestamp: x".into()),
            state: None,
        };
        match v2.outcome(refused).unwrap_err() {
            Error::Refused { what, entra, .. } => {
                assert_eq!(what, "the admin consent");
                assert_eq!(entra.codes, vec![90093]);
                assert_eq!(entra.trace_id.as_deref(), Some("tr-1"));
                assert_eq!(entra.correlation_id.as_deref(), Some("co-1"));
            }
            other => panic!("{other:?}"),
        }
    }
}
