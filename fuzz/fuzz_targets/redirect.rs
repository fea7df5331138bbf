//! What comes back from a browser: a redirect's query, a pasted address, a redirect URI.
#![no_main]

use entra_token::loopback::{RedirectPlan, parse_pasted, parse_query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = parse_query(text);
    if let Ok(redirect) = parse_pasted(text, "expected-state-0123456789") {
        let _ = redirect.into_code();
    }
    let _ = RedirectPlan::new(Some(text), None);
    let _ = RedirectPlan::new(Some(text), Some(8400));
    let _ = entra_token::inert::inert(text);
});
