//! Certificate credentials: PEM (certificate + PKCS#8 or PKCS#1 key, or a separate key
//! file) or PFX/PKCS#12 (modern PBES2/AES and legacy RC2/3DES), detected by content.
//! The key must be RSA and must belong to the certificate.

use std::fmt;

use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A loaded certificate credential: the leaf certificate, its chain, and its RSA key.
#[derive(Clone)]
pub struct Certificate {
    chain: Vec<Vec<u8>>,
    /// PKCS#1 DER of the RSA private key.
    key_pkcs1: Vec<u8>,
    subject: String,
    not_after: i64,
    not_after_date: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Where the pieces of a certificate credential come from.
pub struct CertificateSource<'a> {
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// How to name the file in messages.
    pub name: &'a str,
    /// A separate PEM key file (`--private-key`), bytes and name.
    pub private_key: Option<(&'a [u8], &'a str)>,
    /// The PFX password.
    pub password: Option<&'a Secret>,
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";

impl Certificate {
    /// Loads a certificate credential, detecting PEM or PFX by content.
    pub fn load(src: &CertificateSource<'_>) -> Result<Self> {
        let is_pem = std::str::from_utf8(src.bytes).is_ok_and(|s| s.contains("-----BEGIN "));
        let (chain, key_der) = if is_pem {
            load_pem(src)?
        } else {
            load_pfx(src)?
        };
        let Some(leaf) = chain.first() else {
            return Err(Error::local(format!("{} holds no certificate", src.name)));
        };
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).map_err(|e| {
            Error::local(format!(
                "the certificate in {} cannot be parsed: {e}",
                src.name
            ))
        })?;
        let subject = cert.subject().to_string();
        let not_after = cert.validity().not_after.timestamp();
        let not_after_date = cert.validity().not_after.to_datetime().date().to_string();
        let key = rsa_key(&key_der, src)?;
        match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(public)) => {
                let n = BigUint::from_bytes_be(public.modulus);
                let e = BigUint::from_bytes_be(public.exponent);
                if &n != key.n() || &e != key.e() {
                    return Err(Error::local(format!(
                        "the private key does not belong to the certificate '{subject}' in {}: pass the key that was created with this certificate",
                        src.name
                    )));
                }
            }
            _ => {
                return Err(Error::local(format!(
                    "the certificate '{subject}' in {} does not hold an RSA public key; Entra certificate credentials need RSA",
                    src.name
                )));
            }
        }
        let key_pkcs1 = key
            .to_pkcs1_der()
            .map_err(|e| Error::local(format!("cannot encode the RSA key: {e}")))?
            .as_bytes()
            .to_vec();
        Ok(Self {
            chain,
            key_pkcs1,
            subject,
            not_after,
            not_after_date,
        })
    }

    /// DER of the leaf certificate.
    pub fn leaf_der(&self) -> &[u8] {
        &self.chain[0]
    }

    /// DER of the leaf and the rest of the chain, leaf first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The leaf's subject, for messages.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The leaf's notAfter, Unix seconds.
    pub fn not_after(&self) -> i64 {
        self.not_after
    }

    /// The leaf's notAfter as a date, `YYYY-MM-DD`.
    pub fn not_after_date(&self) -> &str {
        &self.not_after_date
    }

    /// The binary SHA-1 thumbprint of the leaf's DER.
    pub fn sha1_thumbprint(&self) -> [u8; 20] {
        Sha1::digest(self.leaf_der()).into()
    }

    /// The binary SHA-256 thumbprint of the leaf's DER.
    pub fn sha256_thumbprint(&self) -> [u8; 32] {
        Sha256::digest(self.leaf_der()).into()
    }

    /// The SHA-1 thumbprint in upper-case hex, as the Azure portal shows it.
    pub fn sha1_hex(&self) -> String {
        self.sha1_thumbprint()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    pub(crate) fn key_pkcs1_der(&self) -> &[u8] {
        &self.key_pkcs1
    }
}

fn load_pem(src: &CertificateSource<'_>) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(src.bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::local(format!("{} is not valid PEM: {e}", src.name)))?
        .into_iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    if chain.is_empty() {
        return Err(Error::local(format!(
            "{} holds no PEM CERTIFICATE block",
            src.name
        )));
    }
    let (key_bytes, key_name) = src.private_key.unwrap_or((src.bytes, src.name));
    let key = match PrivateKeyDer::from_pem_slice(key_bytes) {
        Ok(key) => key,
        Err(_) => {
            let encrypted =
                std::str::from_utf8(key_bytes).is_ok_and(|s| s.contains("ENCRYPTED PRIVATE KEY"));
            return Err(Error::local(if encrypted {
                format!(
                    "the private key in {key_name} is encrypted; decrypt it (openssl pkey -in KEY -out KEY.pem) or use a PFX with --certificate-password-file"
                )
            } else if src.private_key.is_none() {
                format!(
                    "{key_name} holds a certificate but no private key: add the key to the file or pass --private-key PATH"
                )
            } else {
                format!("{key_name} holds no PEM private key")
            }));
        }
    };
    let der = match key {
        PrivateKeyDer::Pkcs1(k) => {
            let key = <RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(
                k.secret_pkcs1_der(),
            )
            .map_err(|e| Error::local(format!("the RSA key in {key_name} is invalid: {e}")))?;
            key.to_pkcs8_der_bytes(key_name)?
        }
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        PrivateKeyDer::Sec1(_) => {
            return Err(Error::local(format!(
                "the key in {key_name} is an EC key; Entra certificate credentials need an RSA key"
            )));
        }
        _ => {
            return Err(Error::local(format!(
                "the key in {key_name} is of an unknown kind; Entra certificate credentials need an RSA key"
            )));
        }
    };
    Ok((chain, der))
}

trait ToPkcs8 {
    fn to_pkcs8_der_bytes(&self, name: &str) -> Result<Vec<u8>>;
}

impl ToPkcs8 for RsaPrivateKey {
    fn to_pkcs8_der_bytes(&self, name: &str) -> Result<Vec<u8>> {
        use rsa::pkcs8::EncodePrivateKey as _;
        self.to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|e| Error::local(format!("cannot re-encode the RSA key in {name}: {e}")))
    }
}

fn load_pfx(src: &CertificateSource<'_>) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let password = src.password.map(Secret::expose).unwrap_or("");
    let store = p12_keystore::KeyStore::from_pkcs12(
        src.bytes,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => Error::local(format!(
            "wrong password for {}: set AZURE_CLIENT_CERTIFICATE_PASSWORD or pass --certificate-password-file",
            src.name
        )),
        p12_keystore::error::Error::DerError(_)
        | p12_keystore::error::Error::InvalidVersion
        | p12_keystore::error::Error::UnsupportedContentType => Error::local(format!(
            "{} is neither PEM nor PFX/PKCS#12",
            src.name
        )),
        other => Error::local(format!("cannot read the PFX file {}: {other}", src.name)),
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(Error::local(format!(
            "{} holds no private key with its certificate; export the PFX with the private key",
            src.name
        )));
    };
    if chain.certs().is_empty() {
        return Err(Error::local(format!(
            "{} holds a private key but no certificate for it",
            src.name
        )));
    }
    let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    Ok((certs, chain.key().as_der().to_vec()))
}

fn rsa_key(pkcs8: &[u8], src: &CertificateSource<'_>) -> Result<RsaPrivateKey> {
    let name = src.private_key.map(|(_, n)| n).unwrap_or(src.name);
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(pkcs8)
        .map_err(|e| Error::local(format!("the private key in {name} cannot be parsed: {e}")))?;
    let oid = info.algorithm.oid.to_string();
    if oid == OID_EC || oid == OID_ED25519 {
        let kind = if oid == OID_EC { "an EC" } else { "an Ed25519" };
        return Err(Error::local(format!(
            "the key in {name} is {kind} key; Entra certificate credentials need an RSA key"
        )));
    }
    RsaPrivateKey::from_pkcs8_der(pkcs8).map_err(|e| {
        Error::local(format!(
            "the key in {name} is not a usable RSA key ({e}); Entra certificate credentials need RSA"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs/");

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{DIR}{name}")).unwrap()
    }

    fn load(name: &str, password: Option<&str>) -> Result<Certificate> {
        let bytes = read(name);
        let pw = password.map(Secret::new);
        Certificate::load(&CertificateSource {
            bytes: &bytes,
            name,
            private_key: None,
            password: pw.as_ref(),
        })
    }

    fn expected_sha1() -> String {
        let text = String::from_utf8(read("app-thumbprints.txt")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("sha1   "))
            .unwrap()
            .replace(':', "")
    }

    #[test]
    fn every_pem_and_pfx_form_loads_the_same_certificate_and_key() {
        let pw = Some("test-only-password");
        let all = [
            load("app.pem", None).unwrap(),
            load("app-pkcs1.pem", None).unwrap(),
            load("app-chain.pem", None).unwrap(),
            load("app-modern.pfx", pw).unwrap(),
            load("app-legacy.pfx", pw).unwrap(),
            load("app-nopass.pfx", None).unwrap(),
        ];
        for c in &all {
            assert_eq!(c.sha1_hex(), expected_sha1());
            assert_eq!(c.key_pkcs1_der(), all[0].key_pkcs1_der());
        }
        assert_eq!(all[0].chain_der().len(), 1);
        assert_eq!(all[2].chain_der().len(), 2, "PEM chain kept");
        assert_eq!(all[3].chain_der().len(), 2, "modern PFX chain kept");
        assert_eq!(all[4].chain_der().len(), 2, "legacy PFX chain kept");
    }

    #[test]
    fn separate_key_file_loads() {
        let cert = read("app-cert.pem");
        let key = read("app-key-pkcs1.pem");
        let c = Certificate::load(&CertificateSource {
            bytes: &cert,
            name: "app-cert.pem",
            private_key: Some((&key, "app-key-pkcs1.pem")),
            password: None,
        })
        .unwrap();
        assert_eq!(c.sha1_hex(), expected_sha1());
    }

    #[test]
    fn failures_are_local_errors_with_clear_messages() {
        let cases: [(&str, Option<&str>, &str); 7] = [
            (
                "app-modern.pfx",
                Some("wrong"),
                "wrong password for app-modern.pfx",
            ),
            ("app-legacy.pfx", None, "wrong password for app-legacy.pfx"),
            (
                "app-cert.pem",
                None,
                "holds a certificate but no private key",
            ),
            ("mismatch.pem", None, "does not belong to the certificate"),
            ("ec.pem", None, "need an RSA key"),
            ("garbage.pem", None, "neither PEM nor PFX"),
            (
                "cert-only.pfx",
                Some("test-only-password"),
                "holds no private key",
            ),
        ];
        for (name, pw, expected) in cases {
            let e = load(name, pw).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Local, "{name}");
            assert!(e.to_string().contains(expected), "{name}: {e}");
        }
    }

    #[test]
    fn expired_certificates_load_and_report_their_end() {
        let c = load("expired.pem", None).unwrap();
        assert_eq!(c.not_after(), 978_307_200);
        assert_eq!(c.not_after_date(), "2001-01-01");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = load("app.pem", None).unwrap();
        let shown = format!("{c:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("key_pkcs1"),
            "{shown}"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn try_load(bytes: &[u8], password: Option<&str>) {
            let pw = password.map(Secret::new);
            let _ = Certificate::load(&CertificateSource {
                bytes,
                name: "x",
                private_key: None,
                password: pw.as_ref(),
            });
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn any_bytes_load_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                try_load(&bytes, None);
                try_load(&bytes, Some("pw"));
            }

            #[test]
            fn damaged_pem_and_pfx_files_are_refused_not_panicked_on(
                which in 0usize..3,
                flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
                cut in any::<usize>(),
            ) {
                let name = ["app.pem", "app-modern.pfx", "app-legacy.pfx"][which];
                let mut bytes = read(name);
                for (at, b) in flips {
                    let i = at % bytes.len();
                    bytes[i] ^= b | 1;
                }
                try_load(&bytes, Some("test-password"));
                bytes.truncate(cut % bytes.len());
                try_load(&bytes, Some("test-password"));
            }
        }
    }
}
