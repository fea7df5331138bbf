//! `decode`: any text as a JWT, and the summary of whatever claims come out.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(decoded) = entra_token::jwt::decode(text) {
        for line in entra_token::jwt::summary(&decoded.claims, 1_700_000_000) {
            let shown = entra_token::inert::inert(&line.value);
            assert!(!shown.chars().any(char::is_control));
        }
    }
});
