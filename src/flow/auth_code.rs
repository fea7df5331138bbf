//! The authorization code flow with PKCE: build the authorize URL and redeem the code
//! that comes back through [`crate::loopback`].

use url::Url;

use crate::error::{Error, Result};
use crate::pkce::{Pkce, random_state};
use crate::request::Grant;
use crate::response::TokenResponse;
use crate::scope::Target;
use crate::secret::Secret;
use crate::transport::Transport;

/// What the authorize request asks of the person signing in.
#[derive(Debug, Clone, Default)]
pub struct SignInOptions {
    /// `prompt=` (login, consent, select_account, none, admin_consent on v1).
    pub prompt: Option<String>,
    /// `login_hint=`.
    pub login_hint: Option<String>,
    /// `domain_hint=`.
    pub domain_hint: Option<String>,
}

/// One authorization attempt: its URL and the secrets that must match on return.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Where the browser goes.
    pub url: String,
    /// The redirect URI the code will be issued to.
    pub redirect_uri: String,
    /// The `state` to expect back.
    pub state: String,
    /// The PKCE pair.
    pub pkce: Pkce,
}

/// Builds the authorize URL for `target` and `redirect_uri`, with a fresh `state` and
/// PKCE pair.
pub fn attempt(
    client: &super::Client<'_>,
    target: &Target,
    options: &SignInOptions,
    redirect_uri: &str,
) -> Result<Attempt> {
    let state = random_state()?;
    let pkce = Pkce::generate()?;
    let mut url = Url::parse(&client.authority(target).authorize_url())
        .map_err(|e| Error::Invalid(format!("the authorize URL is not valid: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_mode", "query");
        let (name, value) = target.form_field();
        q.append_pair(name, &value)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        for (name, value) in [
            ("prompt", options.prompt.as_deref()),
            ("login_hint", options.login_hint.as_deref()),
            ("domain_hint", options.domain_hint.as_deref()),
            ("claims", client.claims),
        ] {
            if let Some(v) = value {
                q.append_pair(name, v);
            }
        }
    }
    Ok(Attempt {
        url: url.into(),
        redirect_uri: redirect_uri.to_owned(),
        state,
        pkce,
    })
}

/// Redeems the code that came back for `attempt`.
pub async fn redeem<T: Transport>(
    transport: &T,
    client: &super::Client<'_>,
    target: &Target,
    attempt: &Attempt,
    code: Secret,
) -> Result<TokenResponse> {
    let grant = Grant::AuthorizationCode {
        code,
        redirect_uri: attempt.redirect_uri.clone(),
        code_verifier: attempt.pkce.verifier.clone(),
    };
    super::redeem(transport, client, target, grant, "the authorization code").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::{AuthorityHost, Tenant};

    #[test]
    fn authorize_url_has_pkce_state_and_query_mode() {
        let host = AuthorityHost::parse("https://login.microsoftonline.com").unwrap();
        let tenant = Tenant::parse("organizations").unwrap();
        let client = super::super::Client {
            host: &host,
            tenant: &tenant,
            client_id: "cid",
            claims: None,
            credential: None,
        };
        let target = Target::Scopes(vec!["User.Read".into(), "openid".into()]);
        let options = SignInOptions {
            prompt: Some("select_account".into()),
            login_hint: Some("adele@contoso.com".into()),
            domain_hint: None,
        };
        let a = attempt(&client, &target, &options, "http://localhost:4711").unwrap();
        let url = Url::parse(&a.url).unwrap();
        assert_eq!(url.path(), "/organizations/oauth2/v2.0/authorize");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("response_mode"), Some("query"));
        assert_eq!(get("redirect_uri"), Some("http://localhost:4711"));
        assert_eq!(get("scope"), Some("User.Read openid"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("code_challenge"), Some(a.pkce.challenge.as_str()));
        assert_eq!(get("state"), Some(a.state.as_str()));
        assert_eq!(get("prompt"), Some("select_account"));
        assert_eq!(get("login_hint"), Some("adele@contoso.com"));
        assert_eq!(get("domain_hint"), None);
        assert!(!a.url.contains(a.pkce.verifier.expose()));
    }
}
