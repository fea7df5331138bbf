//! Clouds, the authority host (https, or http for loopback only), tenants, and the v1/v2
//! endpoint URLs built from them.

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};

/// A national cloud and its default authority host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// `login.microsoftonline.com`.
    Public,
    /// `login.microsoftonline.us`.
    UsGov,
    /// `login.chinacloudapi.cn`.
    China,
}

impl Cloud {
    /// The authority host of this cloud.
    pub fn authority_host(self) -> AuthorityHost {
        AuthorityHost(Url::parse(self.host()).unwrap_or_else(|_| unreachable!()))
    }

    /// The cloud an authority host belongs to (the public cloud for any other host, a
    /// test server included).
    pub fn of(host: &AuthorityHost) -> Self {
        let h = host.0.host_str().unwrap_or_default().to_ascii_lowercase();
        if h == "login.microsoftonline.us" || h.ends_with(".microsoftonline.us") {
            Self::UsGov
        } else if h == "login.chinacloudapi.cn" || h.ends_with(".microsoftonline.cn") {
            Self::China
        } else {
            Self::Public
        }
    }

    /// Microsoft Graph's `.default` scope in this cloud: the default target.
    pub fn graph_scope(self) -> &'static str {
        match self {
            Self::Public => "https://graph.microsoft.com/.default",
            Self::UsGov => "https://graph.microsoft.us/.default",
            Self::China => "https://microsoftgraph.chinacloudapi.cn/.default",
        }
    }

    /// The authority host URL of this cloud.
    pub fn host(self) -> &'static str {
        match self {
            Self::Public => "https://login.microsoftonline.com",
            Self::UsGov => "https://login.microsoftonline.us",
            Self::China => "https://login.chinacloudapi.cn",
        }
    }
}

/// The authority host: scheme, host, port and an optional path prefix, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityHost(Url);

impl AuthorityHost {
    /// Parses `https://host[:port][/path]` or a bare `host[:port]` (meaning https).
    /// Plain http is accepted only for loopback hosts.
    pub fn parse(input: &str) -> Result<Self> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Error::Invalid("the authority host is empty".into()));
        }
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("https://{input}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| {
            Error::Invalid(format!(
                "the authority host '{input}' is not a valid URL: {e}"
            ))
        })?;
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(Error::Invalid(format!(
                "the authority host '{input}' must be a plain host URL without query, fragment or user"
            )));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(Error::Invalid(format!(
                    "refusing plain http authority '{input}': tokens and secrets would cross the network unencrypted; use https (http is allowed only for loopback hosts such as 127.0.0.1 and localhost)"
                )));
            }
            other => {
                return Err(Error::Invalid(format!(
                    "the authority host '{input}' has scheme '{other}'; use https"
                )));
            }
        }
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// The URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

/// The one loopback rule: `localhost`, 127.0.0.0/8 or `[::1]`, as a URL host or bare.
/// Plain http, a proxy bypass and the redirect listener all follow it.
pub fn is_loopback(host: &str) -> bool {
    loopback_ip(host).is_some()
}

/// The address a loopback host names (127.0.0.1 for `localhost`), or `None`.
pub fn loopback_ip(host: &str) -> Option<IpAddr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().ok().filter(IpAddr::is_loopback)
}

/// Which flavour of token endpoint: v2 (`scope=`) or v1 (`resource=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointVersion {
    /// `/oauth2/token`, `resource=`.
    V1,
    /// `/oauth2/v2.0/token`, `scope=`.
    V2,
}

/// A tenant: a GUID, a verified domain, or one of the multi-tenant aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant(String);

impl Tenant {
    /// Validates a tenant identifier; it becomes a URL path segment, so it must be one.
    pub fn parse(input: &str) -> Result<Self> {
        let t = input.trim();
        if t.is_empty() {
            return Err(Error::Invalid("the tenant is empty".into()));
        }
        let ok = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !ok || t.starts_with('.') || t.ends_with('.') {
            return Err(Error::Invalid(format!(
                "'{t}' is not a tenant: pass a directory GUID, a verified domain such as contoso.onmicrosoft.com, or common/organizations/consumers"
            )));
        }
        Ok(Self(t.to_ascii_lowercase()))
    }

    /// The tenant as it goes into the URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `common`, `organizations` or `consumers`: names no single directory.
    pub fn is_multi_tenant_alias(&self) -> bool {
        matches!(self.0.as_str(), "common" | "organizations" | "consumers")
    }
}

/// Authority host + tenant + endpoint version: everything needed to name an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The host.
    pub host: AuthorityHost,
    /// The tenant.
    pub tenant: Tenant,
    /// v1 or v2.
    pub version: EndpointVersion,
}

impl Authority {
    fn endpoint(&self, leaf: &str) -> String {
        let version = match self.version {
            EndpointVersion::V1 => "",
            EndpointVersion::V2 => "v2.0/",
        };
        format!(
            "{}/{}/oauth2/{version}{leaf}",
            self.host.as_str(),
            self.tenant.as_str()
        )
    }

    /// The token endpoint; also the `aud` of client assertions.
    pub fn token_url(&self) -> String {
        self.endpoint("token")
    }

    /// The device authorization endpoint.
    pub fn devicecode_url(&self) -> String {
        self.endpoint("devicecode")
    }

    /// The authorization endpoint.
    pub fn authorize_url(&self) -> String {
        self.endpoint("authorize")
    }

    /// The v2 admin consent endpoint, `{host}/{tenant}/v2.0/adminconsent`.
    pub fn adminconsent_url(&self) -> String {
        format!(
            "{}/{}/v2.0/adminconsent",
            self.host.as_str(),
            self.tenant.as_str()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(host: &str, version: EndpointVersion) -> Authority {
        Authority {
            host: AuthorityHost::parse(host).unwrap(),
            tenant: Tenant::parse("Contoso.onmicrosoft.com").unwrap(),
            version,
        }
    }

    #[test]
    fn bare_host_means_https() {
        let h = AuthorityHost::parse("login.microsoftonline.us").unwrap();
        assert_eq!(h.as_str(), "https://login.microsoftonline.us");
        assert!(h.as_str().starts_with("https://"));
    }

    #[test]
    fn trailing_slash_is_dropped_and_path_prefix_kept() {
        assert_eq!(
            AuthorityHost::parse("https://login.microsoftonline.com/")
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(
            AuthorityHost::parse("https://sts.example.com/adfs/")
                .unwrap()
                .as_str(),
            "https://sts.example.com/adfs"
        );
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://[::1]:99",
        ] {
            assert!(AuthorityHost::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.microsoftonline.com",
            "http://10.0.0.1",
            "ftp://x.y",
        ] {
            let e = AuthorityHost::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Invalid, "{bad}");
        }
    }

    #[test]
    fn endpoints_follow_v1_and_v2_layout() {
        let v2 = authority("https://login.microsoftonline.com", EndpointVersion::V2);
        assert_eq!(
            v2.token_url(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            v2.devicecode_url(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
        );
        let v1 = authority("http://127.0.0.1:9", EndpointVersion::V1);
        assert_eq!(
            v1.token_url(),
            "http://127.0.0.1:9/contoso.onmicrosoft.com/oauth2/token"
        );
        assert_eq!(
            v1.authorize_url(),
            "http://127.0.0.1:9/contoso.onmicrosoft.com/oauth2/authorize"
        );
    }

    #[test]
    fn tenants_must_be_one_path_segment() {
        assert!(Tenant::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").is_ok());
        for bad in ["a/b", "a b", "", "..", "x?y=1"] {
            assert!(Tenant::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_graph_follows_the_cloud() {
        let of = |h: &str| Cloud::of(&AuthorityHost::parse(h).unwrap()).graph_scope();
        assert_eq!(
            of("login.microsoftonline.com"),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            of("https://login.microsoftonline.us"),
            "https://graph.microsoft.us/.default"
        );
        assert_eq!(
            of("https://login.chinacloudapi.cn"),
            "https://microsoftgraph.chinacloudapi.cn/.default"
        );
        assert_eq!(
            of("http://127.0.0.1:8400"),
            "https://graph.microsoft.com/.default"
        );
    }

    #[test]
    fn multi_tenant_aliases_name_no_single_directory() {
        for alias in ["common", "organizations", "Consumers"] {
            assert!(Tenant::parse(alias).unwrap().is_multi_tenant_alias());
        }
        assert!(
            !Tenant::parse("contoso.com")
                .unwrap()
                .is_multi_tenant_alias()
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn hosts_are_https_or_loopback_http(text in ".{0,120}") {
                if let Ok(h) = AuthorityHost::parse(&text) {
                    let url = Url::parse(h.as_str()).unwrap();
                    match url.scheme() {
                        "https" => {}
                        "http" => prop_assert!(is_loopback(url.host_str().unwrap_or_default())),
                        other => prop_assert!(false, "scheme {}", other),
                    }
                    prop_assert!(!h.as_str().ends_with('/'));
                }
            }

            #[test]
            fn tenants_are_one_safe_path_segment(text in ".{0,80}") {
                if let Ok(t) = Tenant::parse(&text) {
                    prop_assert!(t.as_str().chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)));
                    prop_assert!(!t.as_str().is_empty());
                }
            }

            #[test]
            fn remote_http_is_always_refused(host in "[a-z]{1,10}\\.(com|org|net)") {
                let plain = format!("http://{host}");
                prop_assert!(AuthorityHost::parse(&plain).is_err());
                prop_assert!(AuthorityHost::parse(&host).is_ok());
            }
        }
    }
}
