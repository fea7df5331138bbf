//! Cache keys: everything that makes two token requests interchangeable, hashed. The
//! credential enters only as a fingerprint, never as itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::authority::Authority;
use crate::authority::EndpointVersion;
use crate::scope::Target;

/// What a cached access token was requested with (minus the account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeKey {
    /// Authority host URL.
    pub authority: String,
    /// Tenant as given.
    pub tenant: String,
    /// Client ID.
    pub client_id: String,
    /// A fingerprint of the credential ("public" for none).
    pub credential: String,
    /// "v1" or "v2".
    pub version: String,
    /// Sorted scopes, or the resource.
    pub target: String,
    /// The claims challenge, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
}

impl ScopeKey {
    /// The key of a request.
    pub fn new(
        authority: &Authority,
        client_id: &str,
        credential: &str,
        target: &Target,
        claims: Option<&str>,
    ) -> Self {
        Self {
            authority: authority.host.as_str().to_ascii_lowercase(),
            tenant: authority.tenant.as_str().to_owned(),
            client_id: client_id.to_ascii_lowercase(),
            credential: credential.to_owned(),
            version: match authority.version {
                EndpointVersion::V1 => "v1",
                EndpointVersion::V2 => "v2",
            }
            .to_owned(),
            target: target.normalized(),
            claims: claims.map(str::to_owned),
        }
    }

    /// Hash of every field: names the access token entries.
    pub fn hash(&self) -> String {
        short_hash(&serde_json::to_string(self).unwrap_or_default())
    }

    /// Hash of the fields a refresh token belongs to (not the target: Entra's refresh
    /// tokens serve any scope of the same client).
    pub fn client_hash(&self) -> String {
        short_hash(&format!(
            "{}\n{}\n{}\n{}",
            self.authority, self.tenant, self.client_id, self.credential
        ))
    }
}

/// A credential fingerprint: SHA-256 of a domain tag and the material, hex, shortened.
pub fn fingerprint(kind: &str, material: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(material);
    format!("{kind}:{}", &hex(&h.finalize())[..24])
}

/// 32 hex characters of SHA-256.
pub fn short_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))[..32].to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::{AuthorityHost, Tenant};

    fn key(scopes: &[&str], credential: &str) -> ScopeKey {
        let target = Target::new(
            &scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            None,
        )
        .unwrap();
        let authority = Authority {
            host: AuthorityHost::parse("https://login.microsoftonline.com/").unwrap(),
            tenant: Tenant::parse("Contoso.com").unwrap(),
            version: target.version(),
        };
        ScopeKey::new(&authority, "CID", credential, &target, None)
    }

    #[test]
    fn scope_order_and_case_do_not_matter_but_scopes_and_credentials_do() {
        assert_eq!(key(&["b a"], "x").hash(), key(&["A", "B"], "x").hash());
        assert_ne!(key(&["a"], "x").hash(), key(&["b"], "x").hash());
        assert_ne!(key(&["a"], "x").hash(), key(&["a"], "y").hash());
        assert_eq!(
            key(&["a"], "x").client_hash(),
            key(&["b"], "x").client_hash()
        );
    }

    #[test]
    fn fingerprints_never_contain_the_material() {
        let f = fingerprint("secret", b"hunter2-very-secret");
        assert!(f.starts_with("secret:") && f.len() == 31, "{f}");
        assert!(!f.contains("hunter2"));
        assert_ne!(f, fingerprint("secret", b"other"));
        assert_ne!(f, fingerprint("certificate", b"hunter2-very-secret"));
    }
}
