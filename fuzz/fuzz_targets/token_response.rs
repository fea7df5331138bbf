//! Anything a token or device authorization endpoint may answer: parsed into a token, a
//! device authorization or an Entra error, redacted for -v. Never a panic; a token that
//! comes out is one word.
#![no_main]

use entra_token::response::{DeviceAuthorization, HttpResponse, parse, parse_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let status = [200u16, 400, 401, 429, 500, 503][usize::from(first) % 6];
    let resp = HttpResponse {
        status,
        content_type: Some("application/json".into()),
        body: body.to_vec(),
        client_request_id: "crid".into(),
        headers: Vec::new(),
    };
    let now = u64::from(first) << 40;
    if let Ok(token) = parse_token(&resp, "the fuzz", now) {
        assert!(entra_token::inert::is_token_text(token.access_token.expose()));
        assert!(token.expires_in <= entra_token::response::MAX_LIFETIME);
    }
    let _ = parse::<DeviceAuthorization>(&resp, "the fuzz", "a device authorization");
    let _ = entra_token::EntraError::from_body(status, body);
    let _ = entra_token::transport::redact_body(body);
});
