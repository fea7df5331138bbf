//! Certificate files: any bytes as PEM or PFX, with and without a password.
#![no_main]

use entra_token::Secret;
use entra_token::credential::{Certificate, CertificateSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let password = Secret::new("fuzz");
    for pw in [None, Some(&password)] {
        let _ = Certificate::load(&CertificateSource {
            bytes: data,
            name: "fuzz.pem",
            private_key: None,
            password: pw,
        });
    }
});
