//! What a token is for: v2 scopes or a v1 resource. Normalisation feeds the cache key.

use crate::authority::EndpointVersion;
use crate::error::{Error, Result};

/// The default target when neither `--scope` nor `--resource` is given.
pub const DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Scopes MSAL adds to every delegated v2 request.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// v2 scopes or a v1 resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// v2 endpoint: space-separated scopes, in the order given.
    Scopes(Vec<String>),
    /// v1 endpoint: one resource URI.
    Resource(String),
}

impl Target {
    /// Builds the target from `--scope` values (each may hold several, space-separated)
    /// or a `--resource`. Duplicates are dropped; order is kept.
    pub fn new(scopes: &[String], resource: Option<&str>) -> Result<Self> {
        if let Some(resource) = resource {
            let resource = resource.trim();
            if resource.is_empty() || resource.contains(char::is_whitespace) {
                return Err(Error::Invalid(
                    "a resource is one URI, e.g. https://graph.microsoft.com".into(),
                ));
            }
            return Ok(Self::Resource(resource.to_owned()));
        }
        let mut out: Vec<String> = Vec::new();
        for s in scopes.iter().flat_map(|s| s.split_whitespace()) {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
        if out.is_empty() {
            out.push(DEFAULT_SCOPE.to_owned());
        }
        Ok(Self::Scopes(out))
    }

    /// One v2 scope (or several, space-separated).
    pub fn scope(scope: &str) -> Self {
        let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
        if scopes.is_empty() {
            return Self::Scopes(vec![DEFAULT_SCOPE.to_owned()]);
        }
        Self::Scopes(scopes)
    }

    /// A v1 resource.
    pub fn resource(resource: &str) -> Result<Self> {
        Self::new(&[], Some(resource))
    }

    /// Adds `openid profile offline_access` to v2 scopes, as MSAL does for delegated flows.
    pub fn with_oidc_scopes(mut self) -> Self {
        if let Self::Scopes(scopes) = &mut self {
            for s in OIDC_SCOPES {
                if !scopes.iter().any(|o| o == s) {
                    scopes.push(s.to_owned());
                }
            }
        }
        self
    }

    /// v2 for scopes, v1 for a resource.
    pub fn version(&self) -> EndpointVersion {
        match self {
            Self::Scopes(_) => EndpointVersion::V2,
            Self::Resource(_) => EndpointVersion::V1,
        }
    }

    /// The form field: (`scope`, "a b c") or (`resource`, uri).
    pub fn form_field(&self) -> (&'static str, String) {
        match self {
            Self::Scopes(s) => ("scope", s.join(" ")),
            Self::Resource(r) => ("resource", r.clone()),
        }
    }

    /// A canonical text: sorted, lower-cased scopes, or the resource.
    pub fn normalized(&self) -> String {
        match self {
            Self::Scopes(s) => {
                let mut v: Vec<String> = s.iter().map(|x| x.to_ascii_lowercase()).collect();
                v.sort();
                v.dedup();
                v.join(" ")
            }
            Self::Resource(r) => r.trim_end_matches('/').to_ascii_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_graph_default_scope_on_v2() {
        let t = Target::new(&[], None).unwrap();
        assert_eq!(t.form_field(), ("scope", DEFAULT_SCOPE.to_owned()));
        assert_eq!(t.version(), EndpointVersion::V2);
    }

    #[test]
    fn repeated_and_space_separated_scopes_merge_in_order_without_duplicates() {
        let t = Target::new(&["b a".into(), "c".into(), "a".into()], None).unwrap();
        assert_eq!(t.form_field(), ("scope", "b a c".to_owned()));
        assert_eq!(t.normalized(), "a b c");
    }

    #[test]
    fn resource_selects_v1() {
        let t = Target::new(&[], Some("https://management.azure.com/")).unwrap();
        assert_eq!(t.version(), EndpointVersion::V1);
        assert_eq!(t.form_field().0, "resource");
        assert_eq!(t.normalized(), "https://management.azure.com");
        assert!(Target::new(&[], Some("a b")).is_err());
    }

    #[test]
    fn delegated_flows_add_oidc_scopes_once() {
        let t = Target::new(&["User.Read openid".into()], None)
            .unwrap()
            .with_oidc_scopes();
        assert_eq!(t.form_field().1, "User.Read openid profile offline_access");
        let r = Target::new(&[], Some("https://x"))
            .unwrap()
            .with_oidc_scopes();
        assert_eq!(r, Target::Resource("https://x".into()));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn scope_lists_are_deduplicated_words_in_order(
                scopes in proptest::collection::vec("[ a-zA-Z./:_-]{0,30}", 0..6)
            ) {
                let Target::Scopes(out) = Target::new(&scopes, None).unwrap() else {
                    panic!("scopes make a v2 target");
                };
                prop_assert!(!out.is_empty());
                prop_assert!(out.iter().all(|s| !s.is_empty() && !s.contains(char::is_whitespace)));
                let mut unique = out.clone();
                unique.dedup();
                prop_assert_eq!(unique.len(), out.len());
                let words: Vec<&str> = scopes.iter().flat_map(|s| s.split_whitespace()).collect();
                if words.is_empty() {
                    prop_assert_eq!(out, vec![DEFAULT_SCOPE.to_owned()]);
                } else {
                    prop_assert!(out.iter().all(|s| words.contains(&s.as_str())));
                }
            }

            #[test]
            fn normalisation_ignores_order_and_case(
                scopes in proptest::collection::vec("[a-zA-Z.]{1,12}", 1..6)
            ) {
                let a = Target::new(&scopes, None).unwrap().normalized();
                let mut reversed = scopes.clone();
                reversed.reverse();
                let upper: Vec<String> = reversed.iter().map(|s| s.to_ascii_uppercase()).collect();
                prop_assert_eq!(a, Target::new(&upper, None).unwrap().normalized());
            }
        }
    }
}
