//! The token flows. Each one only chooses its grant; who asks, where and with which
//! credential is the one [`Client`] they share, and building, sending and parsing are
//! [`redeem`].

pub mod admin_consent;
pub mod auth_code;
pub mod client_credentials;
pub mod device_code;
pub mod refresh;

use crate::authority::{Authority, AuthorityHost, Tenant};
use crate::clock::unix_now;
use crate::credential::ClientCredential;
use crate::error::Result;
use crate::request::{ClientAuth, Grant, TokenRequest};
use crate::response::{TokenResponse, parse_token};
use crate::scope::Target;
use crate::transport::Transport;

/// Who asks, where, and how it proves itself: what every grant shares.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// The authority host.
    pub host: &'a AuthorityHost,
    /// The tenant.
    pub tenant: &'a Tenant,
    /// The client ID.
    pub client_id: &'a str,
    /// A claims challenge.
    pub claims: Option<&'a str>,
    /// The client credential; `None` for a public client.
    pub credential: Option<&'a ClientCredential>,
}

impl Client<'_> {
    /// The endpoints for `target`: v2 for scopes, v1 for a resource.
    pub fn authority(&self, target: &Target) -> Authority {
        Authority {
            host: self.host.clone(),
            tenant: self.tenant.clone(),
            version: target.version(),
        }
    }
}

/// Redeems a grant for `target`: turns the credential into client authentication for
/// this token endpoint, builds the request, sends it and parses the answer. Every flow
/// ends here. `what` names the request in a refusal ("Entra refused the client
/// credentials").
pub async fn redeem<T: Transport>(
    transport: &T,
    client: &Client<'_>,
    target: &Target,
    grant: Grant,
    what: &'static str,
) -> Result<TokenResponse> {
    let token_url = client.authority(target).token_url();
    let client_auth = match client.credential {
        Some(c) => {
            c.client_auth(transport, client.client_id, &token_url)
                .await?
        }
        None => ClientAuth::None,
    };
    let request = TokenRequest {
        client_id: client.client_id,
        target,
        grant,
        client_auth,
        claims: client.claims,
    };
    let resp = transport.post_form(&token_url, &request.form()).await?;
    parse_token(&resp, what, unix_now())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::request::Form;
    use crate::response::HttpResponse;
    use crate::secret::Secret;

    /// A transport that answers from a script, records what was sent, and fails the test
    /// on any request the script did not expect.
    struct Scripted {
        answers: Mutex<VecDeque<(u16, &'static str)>>,
        sent: Mutex<Vec<(String, String)>>,
    }

    impl Scripted {
        fn new(answers: &[(u16, &'static str)]) -> Self {
            Self {
                answers: Mutex::new(answers.iter().copied().collect()),
                sent: Mutex::new(Vec::new()),
            }
        }

        fn answer(&self, url: &str, body: String) -> Result<HttpResponse> {
            self.sent.lock().unwrap().push((url.to_owned(), body));
            let (status, body) = self
                .answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| panic!("unexpected request to {url}"));
            Ok(HttpResponse {
                status,
                content_type: Some("application/json".into()),
                body: body.as_bytes().to_vec(),
                client_request_id: "crid".into(),
                headers: Vec::new(),
            })
        }
    }

    impl Transport for Scripted {
        async fn post_form(&self, url: &str, form: &Form) -> Result<HttpResponse> {
            self.answer(url, form.encode())
        }

        async fn get(&self, url: &str, _bearer: Option<&Secret>) -> Result<HttpResponse> {
            self.answer(url, String::new())
        }

        async fn call(&self, request: &crate::transport::HttpRequest<'_>) -> Result<HttpResponse> {
            self.answer(
                request.url,
                String::from_utf8_lossy(&request.body).into_owned(),
            )
        }
    }

    fn fixtures() -> (AuthorityHost, Tenant, ClientCredential) {
        (
            AuthorityHost::parse("https://login.microsoftonline.com").unwrap(),
            Tenant::parse("contoso.onmicrosoft.com").unwrap(),
            ClientCredential::Secret(Secret::new("s3cret")),
        )
    }

    fn client<'a>(
        host: &'a AuthorityHost,
        tenant: &'a Tenant,
        client_id: &'a str,
        credential: Option<&'a ClientCredential>,
    ) -> Client<'a> {
        Client {
            host,
            tenant,
            client_id,
            claims: None,
            credential,
        }
    }

    #[tokio::test]
    async fn client_credentials_in_memory_send_the_form_and_parse_v1_numbers() {
        let (host, tenant, secret) = fixtures();
        let client = client(&host, &tenant, "cid", Some(&secret));
        let t = Scripted::new(&[(
            200,
            r#"{"token_type":"Bearer","expires_in":"3599","expires_on":"1900000000","resource":"https://management.azure.com/","access_token":"eyJ0.eyJ1.sig"}"#,
        )]);
        let target = Target::resource("https://management.azure.com/").unwrap();
        let token = client_credentials::request(&t, &client, &target)
            .await
            .unwrap();
        assert_eq!(token.expires_in, 3599);
        assert_eq!(token.access_token.expose(), "eyJ0.eyJ1.sig");
        let sent = t.sent.lock().unwrap();
        assert_eq!(
            sent[0].0,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"
        );
        assert_eq!(
            sent[0].1,
            "grant_type=client_credentials&client_id=cid&resource=https%3A%2F%2Fmanagement.azure.com%2F&client_secret=s3cret"
        );
    }

    #[tokio::test]
    async fn a_refusal_in_memory_keeps_its_evidence() {
        let (host, tenant, secret) = fixtures();
        let client = client(&host, &tenant, "cid", Some(&secret));
        let t = Scripted::new(&[(
            401,
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"trace_id":"t1","correlation_id":"c1"}"#,
        )]);
        let e = client_credentials::request(&t, &client, &Target::scope(""))
            .await
            .unwrap_err();
        let entra = e.entra().unwrap();
        assert_eq!(entra.codes, vec![7000215]);
        assert_eq!(entra.trace_id.as_deref(), Some("t1"));
        assert_eq!(e.client_request_id(), Some("crid"));
        assert!(entra.hint().unwrap().contains("Secret ID"));
    }

    struct Quiet;
    impl device_code::DeviceCodeUi for Quiet {
        fn show(&self, _: &crate::response::DeviceAuthorization) {}
    }

    #[tokio::test(start_paused = true)]
    async fn a_device_code_sign_in_runs_in_memory_on_paused_time() {
        let (host, tenant, _) = fixtures();
        let client = client(&host, &tenant, "public", None);
        let t = Scripted::new(&[
            (
                200,
                r#"{"device_code":"DC","user_code":"ABC","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5}"#,
            ),
            (400, r#"{"error":"authorization_pending"}"#),
            (400, r#"{"error":"slow_down"}"#),
            (
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0.eyJ1.sig","refresh_token":"0.RT"}"#,
            ),
        ]);
        let started = tokio::time::Instant::now();
        let target = Target::scope("User.Read").with_oidc_scopes();
        let token = device_code::run(&t, &client, &target, &Quiet)
            .await
            .unwrap();
        assert_eq!(token.refresh_token.unwrap().expose(), "0.RT");
        // 5 s, 5 s, then 10 s after slow_down: the clock was paused, so no real wait.
        assert_eq!(started.elapsed(), std::time::Duration::from_secs(20));
        let sent = t.sent.lock().unwrap();
        assert!(sent[0].0.ends_with("/oauth2/v2.0/devicecode"));
        assert_eq!(
            sent[1].1,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC&client_id=public&scope=User.Read+openid+profile+offline_access"
        );
        assert_eq!(sent.len(), 4);
    }
}
