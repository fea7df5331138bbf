//! Pure request building: grant + client authentication → ordered form pairs.

use crate::authority::EndpointVersion;
use crate::scope::Target;
use crate::secret::Secret;

/// One form value: plain text, or a secret that `-v` output redacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    /// Shown as is in verbose output.
    Plain(String),
    /// Shown as `<redacted>` in verbose output.
    Secret(Secret),
}

/// An `application/x-www-form-urlencoded` body as ordered pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(&'static str, FormValue)>);

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plain pair.
    pub fn plain(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((name, FormValue::Plain(value.into())));
        self
    }

    /// Adds a secret pair.
    pub fn secret(&mut self, name: &'static str, value: &Secret) -> &mut Self {
        self.0.push((name, FormValue::Secret(value.clone())));
        self
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(&'static str, FormValue)] {
        &self.0
    }

    /// The encoded body that goes on the wire. The one place secrets are exposed.
    pub fn encode(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            match value {
                FormValue::Plain(p) => s.append_pair(name, p),
                FormValue::Secret(secret) => s.append_pair(name, secret.expose()),
            };
        }
        s.finish()
    }

    /// The body with every secret replaced by `<redacted>`, for `-v`.
    pub fn redacted(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            match value {
                FormValue::Plain(p) => s.append_pair(name, p),
                FormValue::Secret(_) => s.append_pair(name, "<redacted>"),
            };
        }
        s.finish().replace("%3Credacted%3E", "<redacted>")
    }
}

/// The OAuth2 grant being redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// `client_credentials`.
    ClientCredentials,
    /// The device code grant (RFC 8628).
    DeviceCode {
        /// The server's `device_code`.
        device_code: Secret,
    },
    /// `authorization_code` with PKCE.
    AuthorizationCode {
        /// The code from the redirect.
        code: Secret,
        /// The redirect URI the code was issued to.
        redirect_uri: String,
        /// The PKCE verifier.
        code_verifier: Secret,
    },
    /// `refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: Secret,
    },
}

/// How the client proves itself (confidential clients), or nothing (public clients).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client: no credential.
    None,
    /// `client_secret`.
    Secret(Secret),
    /// A JWT client assertion (certificate-signed or federated).
    Assertion(Secret),
}

/// `client_assertion_type` for JWT bearer client assertions (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `grant_type` of the v2 device code grant.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Everything a token request needs; borrowed from the caller's configuration.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    /// The application (client) ID.
    pub client_id: &'a str,
    /// Scopes (v2) or resource (v1).
    pub target: &'a Target,
    /// The grant.
    pub grant: Grant,
    /// The client credential.
    pub client_auth: ClientAuth,
    /// A claims challenge (JSON), passed as `claims=`.
    pub claims: Option<&'a str>,
}

impl TokenRequest<'_> {
    /// The endpoint version this request is for.
    pub fn version(&self) -> EndpointVersion {
        self.target.version()
    }

    /// The token request body.
    pub fn form(&self) -> Form {
        let mut f = Form::new();
        let v1 = self.version() == EndpointVersion::V1;
        match &self.grant {
            Grant::ClientCredentials => {
                f.plain("grant_type", "client_credentials");
            }
            Grant::DeviceCode { device_code } if v1 => {
                f.plain("grant_type", "device_code")
                    .secret("code", device_code);
            }
            Grant::DeviceCode { device_code } => {
                f.plain("grant_type", DEVICE_CODE_GRANT)
                    .secret("device_code", device_code);
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                f.plain("grant_type", "authorization_code")
                    .secret("code", code)
                    .plain("redirect_uri", redirect_uri.clone())
                    .secret("code_verifier", code_verifier);
            }
            Grant::RefreshToken { refresh_token } => {
                f.plain("grant_type", "refresh_token")
                    .secret("refresh_token", refresh_token);
            }
        }
        f.plain("client_id", self.client_id);
        let (name, value) = self.target.form_field();
        f.plain(name, value);
        if let Some(claims) = self.claims {
            f.plain("claims", claims);
        }
        add_client_auth(&mut f, &self.client_auth);
        f
    }
}

/// Appends the client authentication fields to a form.
pub fn add_client_auth(f: &mut Form, auth: &ClientAuth) {
    match auth {
        ClientAuth::None => {}
        ClientAuth::Secret(s) => {
            f.secret("client_secret", s);
        }
        ClientAuth::Assertion(a) => {
            f.plain("client_assertion_type", JWT_BEARER)
                .secret("client_assertion", a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(grant: Grant, target: Target, auth: ClientAuth) -> TokenRequest<'static> {
        TokenRequest {
            client_id: "cid",
            target: Box::leak(Box::new(target)),
            grant,
            client_auth: auth,
            claims: None,
        }
    }

    fn graph() -> Target {
        Target::Scopes(vec!["https://graph.microsoft.com/.default".into()])
    }

    #[test]
    fn client_credentials_with_secret_v2_body() {
        let r = req(
            Grant::ClientCredentials,
            graph(),
            ClientAuth::Secret(Secret::new("p&ss=word")),
        );
        assert_eq!(
            r.form().encode(),
            "grant_type=client_credentials&client_id=cid&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=p%26ss%3Dword"
        );
    }

    #[test]
    fn redacted_body_hides_every_secret() {
        let r = req(
            Grant::RefreshToken {
                refresh_token: Secret::new("RT"),
            },
            Target::Resource("https://x".into()),
            ClientAuth::Assertion(Secret::new("JWT")),
        );
        assert_eq!(
            r.form().redacted(),
            "grant_type=refresh_token&refresh_token=<redacted>&client_id=cid&resource=https%3A%2F%2Fx&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=<redacted>"
        );
    }

    #[test]
    fn device_code_grant_differs_between_v1_and_v2() {
        let dc = || Grant::DeviceCode {
            device_code: Secret::new("DC"),
        };
        assert_eq!(
            req(dc(), graph(), ClientAuth::None).form().encode(),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC&client_id=cid&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        );
        assert_eq!(
            req(dc(), Target::Resource("https://r".into()), ClientAuth::None)
                .form()
                .encode(),
            "grant_type=device_code&code=DC&client_id=cid&resource=https%3A%2F%2Fr"
        );
    }

    #[test]
    fn authorization_code_carries_redirect_and_verifier() {
        let r = req(
            Grant::AuthorizationCode {
                code: Secret::new("C"),
                redirect_uri: "http://localhost:1234".into(),
                code_verifier: Secret::new("V"),
            },
            Target::Scopes(vec!["openid".into()]),
            ClientAuth::None,
        );
        assert_eq!(
            r.form().encode(),
            "grant_type=authorization_code&code=C&redirect_uri=http%3A%2F%2Flocalhost%3A1234&code_verifier=V&client_id=cid&scope=openid"
        );
    }

    #[test]
    fn claims_are_passed_through() {
        let mut r = req(Grant::ClientCredentials, graph(), ClientAuth::None);
        r.claims = Some(r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#);
        assert!(r.form().encode().ends_with(
            "&claims=%7B%22access_token%22%3A%7B%22xms_cc%22%3A%7B%22values%22%3A%5B%22cp1%22%5D%7D%7D%7D"
        ));
    }
}
