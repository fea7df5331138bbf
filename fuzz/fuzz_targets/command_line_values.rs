//! Values people (and environments) pass: authority hosts, tenants, scope lists,
//! resources, durations and claims challenges.
#![no_main]

use entra_token::authority::{AuthorityHost, Tenant};
use entra_token::scope::Target;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(host) = AuthorityHost::parse(text) {
        let url = host.as_str();
        assert!(url.starts_with("https://") || url.starts_with("http://"));
    }
    if let Ok(t) = Tenant::parse(text) {
        assert!(!t.as_str().contains('/'));
    }
    let scopes: Vec<String> = text.split(',').map(str::to_owned).collect();
    if let Ok(target) = Target::new(&scopes, None) {
        let _ = target.normalized();
        let _ = target.with_oidc_scopes().form_field();
    }
    let _ = Target::new(&[], Some(text));
    let _ = entra_token::clock::parse_duration(text);
    let _ = entra_token::claims::challenge_json(text);
});
