//! Certificate-signed JWT client assertions (RFC 7523), exactly as Entra documents them.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::certificate::Certificate;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Lifetime of an assertion, seconds.
pub const ASSERTION_LIFETIME: u64 = 600;

/// The signature algorithm and matching thumbprint header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, `x5t` = base64url(SHA-1(DER)).
    #[default]
    Rs256,
    /// RSASSA-PSS with SHA-256 and a 32-byte salt, `x5t#S256` = base64url(SHA-256(DER)).
    Ps256,
}

/// Options of an assertion.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssertionOptions {
    /// Algorithm and thumbprint kind.
    pub alg: AssertionAlg,
    /// Add `x5c` (the chain, leaf first) for subject name + issuer authentication.
    pub send_chain: bool,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// The JOSE header of an assertion for this certificate.
pub fn header(cert: &Certificate, opts: AssertionOptions) -> Header {
    let mut h = Header::new(match opts.alg {
        AssertionAlg::Rs256 => Algorithm::RS256,
        AssertionAlg::Ps256 => Algorithm::PS256,
    });
    h.typ = Some("JWT".to_owned());
    match opts.alg {
        AssertionAlg::Rs256 => h.x5t = Some(URL_SAFE_NO_PAD.encode(cert.sha1_thumbprint())),
        AssertionAlg::Ps256 => {
            h.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(cert.sha256_thumbprint()));
        }
    }
    if opts.send_chain {
        h.x5c = Some(
            cert.chain_der()
                .iter()
                .map(|c| STANDARD.encode(c))
                .collect(),
        );
    }
    h
}

/// Signs a fresh assertion: `aud` = the exact token URL, `iss` = `sub` = client ID, a new
/// `jti`, `nbf` = `iat` = now, `exp` = now + 10 minutes.
pub fn sign(
    cert: &Certificate,
    client_id: &str,
    token_url: &str,
    opts: AssertionOptions,
    now: u64,
) -> Result<Secret> {
    let claims = Claims {
        aud: token_url,
        iss: client_id,
        sub: client_id,
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now,
        iat: now,
        exp: now + ASSERTION_LIFETIME,
    };
    let key = EncodingKey::from_rsa_der(cert.key_pkcs1_der());
    jsonwebtoken::encode(&header(cert, opts), &claims, &key)
        .map(Secret::new)
        .map_err(|e| Error::local(format!("cannot sign the client assertion: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::certificate::CertificateSource;
    use jsonwebtoken::{DecodingKey, Validation};
    use rsa::pkcs1::EncodeRsaPublicKey;

    fn cert() -> Certificate {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/certs/app-chain.pem"
        );
        let bytes = std::fs::read(path).unwrap();
        Certificate::load(&CertificateSource {
            bytes: &bytes,
            name: "app-chain.pem",
            private_key: None,
            password: None,
        })
        .unwrap()
    }

    fn public_der(cert: &Certificate) -> Vec<u8> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::from_pkcs1_der(cert.key_pkcs1_der()).unwrap();
        key.to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    }

    fn parts(jwt: &str) -> (serde_json::Value, serde_json::Value) {
        let mut it = jwt.split('.').map(|p| {
            serde_json::from_slice::<serde_json::Value>(&URL_SAFE_NO_PAD.decode(p).unwrap())
                .unwrap_or_default()
        });
        (it.next().unwrap(), it.next().unwrap())
    }

    const URL: &str = "https://login.microsoftonline.com/t/oauth2/v2.0/token";

    /// Verifies the signature with the certificate's public key (times not checked).
    fn verify(jwt: &Secret, alg: Algorithm, c: &Certificate) {
        let mut v = Validation::new(alg);
        v.set_audience(&[URL]);
        v.validate_exp = false;
        v.validate_nbf = false;
        jsonwebtoken::decode::<serde_json::Value>(
            jwt.expose(),
            &DecodingKey::from_rsa_der(&public_der(c)),
            &v,
        )
        .expect("the signature verifies with the certificate's key");
    }

    #[test]
    fn rs256_assertion_has_binary_sha1_x5t_and_exact_claims() {
        let c = cert();
        let jwt = sign(&c, "cid", URL, AssertionOptions::default(), 1_000).unwrap();
        let (h, p) = parts(jwt.expose());
        assert_eq!(h["alg"], "RS256");
        assert_eq!(h["typ"], "JWT");
        let x5t = URL_SAFE_NO_PAD.decode(h["x5t"].as_str().unwrap()).unwrap();
        assert_eq!(
            x5t,
            c.sha1_thumbprint(),
            "x5t is base64url of the binary digest, not hex"
        );
        assert!(h.get("x5c").is_none() && h.get("x5t#S256").is_none());
        assert_eq!(p["aud"], URL);
        assert_eq!(
            (p["iss"].as_str(), p["sub"].as_str()),
            (Some("cid"), Some("cid"))
        );
        assert_eq!(
            (p["nbf"].as_u64(), p["iat"].as_u64(), p["exp"].as_u64()),
            (Some(1_000), Some(1_000), Some(1_600))
        );
        assert!(uuid::Uuid::parse_str(p["jti"].as_str().unwrap()).is_ok());

        verify(&jwt, Algorithm::RS256, &c);
    }

    #[test]
    fn ps256_assertion_has_sha256_thumbprint_and_verifies_as_pss() {
        let c = cert();
        let opts = AssertionOptions {
            alg: AssertionAlg::Ps256,
            send_chain: false,
        };
        let jwt = sign(&c, "cid", URL, opts, 1_000).unwrap();
        let (h, _) = parts(jwt.expose());
        assert_eq!(h["alg"], "PS256");
        assert!(h.get("x5t").is_none());
        let t = URL_SAFE_NO_PAD
            .decode(h["x5t#S256"].as_str().unwrap())
            .unwrap();
        assert_eq!(t, c.sha256_thumbprint());
        verify(&jwt, Algorithm::PS256, &c);
    }

    #[test]
    fn pss_salt_is_32_bytes() {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let c = cert();
        let opts = AssertionOptions {
            alg: AssertionAlg::Ps256,
            send_chain: false,
        };
        let jwt = sign(&c, "cid", URL, opts, 1_000).unwrap();
        let (signing_input, sig) = jwt.expose().rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let key = rsa::RsaPrivateKey::from_pkcs1_der(c.key_pkcs1_der()).unwrap();
        let public = key.to_public_key();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(signing_input.as_bytes());
        let salt32 = rsa::Pss::new_with_salt::<sha2::Sha256>(32);
        public
            .verify(salt32, &digest, &sig)
            .expect("salt length 32");
        let salt20 = rsa::Pss::new_with_salt::<sha2::Sha256>(20);
        assert!(public.verify(salt20, &digest, &sig).is_err());
        assert_eq!(public.size(), 256);
    }

    #[test]
    fn chain_goes_into_x5c_leaf_first_as_standard_base64() {
        let c = cert();
        let opts = AssertionOptions {
            alg: AssertionAlg::Rs256,
            send_chain: true,
        };
        let jwt = sign(&c, "cid", URL, opts, 1_000).unwrap();
        let (h, _) = parts(jwt.expose());
        let x5c: Vec<Vec<u8>> = h["x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| STANDARD.decode(v.as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(x5c.len(), 2);
        assert_eq!(x5c[0], c.leaf_der());
        assert_eq!(x5c, c.chain_der());
    }

    #[test]
    fn every_assertion_has_a_fresh_jti() {
        let c = cert();
        let a = sign(&c, "cid", URL, AssertionOptions::default(), 1).unwrap();
        let b = sign(&c, "cid", URL, AssertionOptions::default(), 1).unwrap();
        assert_ne!(parts(a.expose()).1["jti"], parts(b.expose()).1["jti"]);
    }
}
