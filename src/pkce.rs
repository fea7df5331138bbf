//! PKCE (RFC 7636, S256) and the random `state` of authorization requests.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A PKCE pair: the secret verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// 43 characters of base64url from 32 random bytes.
    pub verifier: Secret,
    /// base64url(SHA-256(verifier)).
    pub challenge: String,
}

/// `n` bytes from the operating system's CSPRNG, as base64url.
pub fn random_b64(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::local(format!("the system random number generator failed: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Pkce {
    /// A fresh pair.
    pub fn generate() -> Result<Self> {
        let verifier = random_b64(32)?;
        let challenge = challenge(&verifier);
        Ok(Self {
            verifier: Secret::new(verifier),
            challenge,
        })
    }
}

/// A fresh `state` value.
pub fn random_state() -> Result<String> {
    random_b64(24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_43_chars_and_fresh() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_eq!(a.verifier.expose().len(), 43);
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge(a.verifier.expose()));
        assert_ne!(random_state().unwrap(), random_state().unwrap());
    }
}
