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

use crate::error::Result;
use crate::secret::Secret;

/// Why a certificate credential cannot be used. `file` is how the caller named the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The file holds no certificate at all.
    #[error("{file} holds no certificate")]
    NoCertificate {
        /// The file.
        file: String,
    },
    /// The file is PEM, but broken.
    #[error("{file} is not valid PEM: {reason}")]
    BadPem {
        /// The file.
        file: String,
        /// What the PEM parser said.
        reason: String,
    },
    /// The certificate cannot be parsed as X.509.
    #[error("the certificate in {file} cannot be parsed: {reason}")]
    BadCertificate {
        /// The file.
        file: String,
        /// What the X.509 parser said.
        reason: String,
    },
    /// The file is neither PEM nor PKCS#12.
    #[error("{file} is neither PEM nor PFX/PKCS#12")]
    NotPemOrPfx {
        /// The file.
        file: String,
    },
    /// A PFX that needs a password, and none was given.
    #[error("{file} needs a password")]
    NeedsPassword {
        /// The file.
        file: String,
    },
    /// A PFX whose password is wrong.
    #[error("wrong password for {file}")]
    WrongPassword {
        /// The file.
        file: String,
    },
    /// A PFX that cannot be read for another reason.
    #[error("cannot read the PFX file {file}: {reason}")]
    BadPfx {
        /// The file.
        file: String,
        /// What the PKCS#12 parser said.
        reason: String,
    },
    /// No private key: in a PEM file without a separate key, or a PFX without one.
    #[error("{file} holds a certificate but no private key")]
    NoKey {
        /// The file.
        file: String,
    },
    /// A separate key file with no PEM key in it.
    #[error("{file} holds no PEM private key")]
    NoKeyInKeyFile {
        /// The key file.
        file: String,
    },
    /// A PFX with a key but no certificate.
    #[error("{file} holds a private key but no certificate for it")]
    NoCertificateForKey {
        /// The file.
        file: String,
    },
    /// An encrypted PEM key (not supported: use a PFX).
    #[error("the private key in {file} is encrypted")]
    EncryptedKey {
        /// The key file.
        file: String,
    },
    /// The key is not RSA, or not a usable one.
    #[error("the key in {file} is {kind}; Entra certificate credentials need an RSA key")]
    NotRsa {
        /// The key file.
        file: String,
        /// What it is instead.
        kind: String,
    },
    /// The certificate's public key is not RSA.
    #[error(
        "the certificate '{subject}' in {file} does not hold an RSA public key; Entra certificate credentials need RSA"
    )]
    NotRsaCertificate {
        /// The file.
        file: String,
        /// The certificate's subject.
        subject: String,
    },
    /// The key belongs to another certificate.
    #[error(
        "the private key does not belong to the certificate '{subject}' in {file}: pass the key that was created with this certificate"
    )]
    KeyMismatch {
        /// The file.
        file: String,
        /// The certificate's subject.
        subject: String,
    },
}

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
            return Err(CertificateError::NoCertificate {
                file: src.name.into(),
            }
            .into());
        };
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).map_err(|e| {
            CertificateError::BadCertificate {
                file: src.name.into(),
                reason: e.to_string(),
            }
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
                    return Err(CertificateError::KeyMismatch {
                        file: src.name.into(),
                        subject,
                    }
                    .into());
                }
            }
            _ => {
                return Err(CertificateError::NotRsaCertificate {
                    file: src.name.into(),
                    subject,
                }
                .into());
            }
        }
        let key_pkcs1 = key
            .to_pkcs1_der()
            .map_err(|e| not_rsa(src.name, &e.to_string()))?
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

    pub(crate) fn key_pkcs1_der(&self) -> &[u8] {
        &self.key_pkcs1
    }
}

fn load_pem(src: &CertificateSource<'_>) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(src.bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| CertificateError::BadPem {
            file: src.name.into(),
            reason: e.to_string(),
        })?
        .into_iter()
        .map(|c| c.as_ref().to_vec())
        .collect();
    if chain.is_empty() {
        return Err(CertificateError::NoCertificate {
            file: src.name.into(),
        }
        .into());
    }
    let (key_bytes, key_name) = src.private_key.unwrap_or((src.bytes, src.name));
    let key = match PrivateKeyDer::from_pem_slice(key_bytes) {
        Ok(key) => key,
        Err(_) => {
            let encrypted =
                std::str::from_utf8(key_bytes).is_ok_and(|s| s.contains("ENCRYPTED PRIVATE KEY"));
            let file = key_name.to_owned();
            return Err(if encrypted {
                CertificateError::EncryptedKey { file }
            } else if src.private_key.is_none() {
                CertificateError::NoKey { file }
            } else {
                CertificateError::NoKeyInKeyFile { file }
            }
            .into());
        }
    };
    let der = match key {
        PrivateKeyDer::Pkcs1(k) => {
            let key = <RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(
                k.secret_pkcs1_der(),
            )
            .map_err(|e| not_rsa(key_name, &e.to_string()))?;
            key.to_pkcs8_der_bytes(key_name)?
        }
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        PrivateKeyDer::Sec1(_) => {
            return Err(CertificateError::NotRsa {
                file: key_name.into(),
                kind: "an EC key".into(),
            }
            .into());
        }
        _ => {
            return Err(CertificateError::NotRsa {
                file: key_name.into(),
                kind: "of an unknown kind".into(),
            }
            .into());
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
            .map_err(|e| not_rsa(name, &e.to_string()).into())
    }
}

fn load_pfx(src: &CertificateSource<'_>) -> Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let password = src.password.map(Secret::expose).unwrap_or("");
    let store = p12_keystore::KeyStore::from_pkcs12(
        src.bytes,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|e| {
        let file = src.name.to_owned();
        match e {
            p12_keystore::error::Error::MacError(_) if src.password.is_none() => {
                CertificateError::NeedsPassword { file }
            }
            p12_keystore::error::Error::MacError(_) => CertificateError::WrongPassword { file },
            p12_keystore::error::Error::DerError(_)
            | p12_keystore::error::Error::InvalidVersion
            | p12_keystore::error::Error::UnsupportedContentType => {
                CertificateError::NotPemOrPfx { file }
            }
            other => CertificateError::BadPfx {
                file,
                reason: other.to_string(),
            },
        }
    })?;
    let Some((_, chain)) = store.private_key_chain() else {
        return Err(CertificateError::NoKey {
            file: src.name.into(),
        }
        .into());
    };
    if chain.certs().is_empty() {
        return Err(CertificateError::NoCertificateForKey {
            file: src.name.into(),
        }
        .into());
    }
    let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    Ok((certs, chain.key().as_der().to_vec()))
}

fn rsa_key(pkcs8: &[u8], src: &CertificateSource<'_>) -> Result<RsaPrivateKey> {
    let name = src.private_key.map(|(_, n)| n).unwrap_or(src.name);
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(pkcs8)
        .map_err(|e| not_rsa(name, &format!("not parseable: {e}")))?;
    let oid = info.algorithm.oid.to_string();
    if oid == OID_EC || oid == OID_ED25519 {
        let kind = if oid == OID_EC { "an EC" } else { "an Ed25519" };
        return Err(CertificateError::NotRsa {
            file: name.into(),
            kind: format!("{kind} key"),
        }
        .into());
    }
    RsaPrivateKey::from_pkcs8_der(pkcs8)
        .map_err(|e| not_rsa(name, &format!("not a usable RSA key ({e})")).into())
}

fn not_rsa(file: &str, kind: &str) -> CertificateError {
    CertificateError::NotRsa {
        file: file.into(),
        kind: kind.into(),
    }
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

    fn hex_upper(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
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
            assert_eq!(hex_upper(&c.sha1_thumbprint()), expected_sha1());
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
        assert_eq!(hex_upper(&c.sha1_thumbprint()), expected_sha1());
    }

    #[test]
    fn failures_are_local_errors_with_clear_messages() {
        let cases: [(&str, Option<&str>, &str); 7] = [
            (
                "app-modern.pfx",
                Some("wrong"),
                "wrong password for app-modern.pfx",
            ),
            ("app-legacy.pfx", None, "app-legacy.pfx needs a password"),
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
                "holds a certificate but no private key",
            ),
        ];
        for (name, pw, expected) in cases {
            let e = load(name, pw).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Local, "{name}");
            assert!(e.to_string().contains(expected), "{name}: {e}");
        }
    }

    #[test]
    fn a_caller_can_tell_a_wrong_password_from_a_missing_one() {
        use crate::Error;
        assert!(matches!(
            load("app-modern.pfx", Some("wrong")),
            Err(Error::Certificate(CertificateError::WrongPassword { .. }))
        ));
        assert!(matches!(
            load("app-modern.pfx", None),
            Err(Error::Certificate(CertificateError::NeedsPassword { .. }))
        ));
        assert!(matches!(
            load("mismatch.pem", None),
            Err(Error::Certificate(CertificateError::KeyMismatch { .. }))
        ));
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
