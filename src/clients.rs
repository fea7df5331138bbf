//! Microsoft's first-party public clients that administrators use with delegated flows.
//! Tenants may block any of them (Conditional Access, or "users can consent" off).

/// A well-known public client.
#[derive(Debug, Clone, Copy)]
pub struct WellKnownClient {
    /// The name accepted by `--client-id`.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// The application (client) ID.
    pub id: &'static str,
    /// What Microsoft calls it in sign-in logs.
    pub display_name: &'static str,
    /// What it is pre-authorised for.
    pub reaches: &'static str,
}

/// The table; the README explains each row.
pub const WELL_KNOWN: &[WellKnownClient] = &[
    WellKnownClient {
        name: "azure-cli",
        aliases: &["az"],
        id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        display_name: "Microsoft Azure CLI",
        reaches: "Azure Resource Manager, Key Vault, Storage, Microsoft Graph (a fixed set of scopes)",
    },
    WellKnownClient {
        name: "azure-powershell",
        aliases: &["az-powershell"],
        id: "1950a258-227b-4e31-a9cf-717495945fc2",
        display_name: "Microsoft Azure PowerShell",
        reaches: "Azure Resource Manager, Key Vault, Storage, Microsoft Graph (a fixed set of scopes)",
    },
    WellKnownClient {
        name: "graph-powershell",
        aliases: &["graph-cli", "microsoft-graph"],
        id: "14d82eec-204b-4c2f-b7e8-296a70dab67e",
        display_name: "Microsoft Graph Command Line Tools",
        reaches: "Microsoft Graph, any delegated scope the user or an admin consents to",
    },
    WellKnownClient {
        name: "exchange-online",
        aliases: &["exo", "exchange-online-powershell"],
        id: "fb78d390-0c51-40cd-8e17-fdbfab77341b",
        display_name: "Microsoft Exchange REST API Based PowerShell",
        reaches: "Exchange Online (https://outlook.office365.com/.default), for Connect-ExchangeOnline",
    },
    WellKnownClient {
        name: "exchange-management-shell",
        aliases: &["ems"],
        id: "a0c73c16-a7e3-4564-9a95-2bdf47383716",
        display_name: "Microsoft Exchange Online Remote PowerShell",
        reaches: "Exchange Online (resource https://outlook.office365.com, v1), redirect urn:ietf:wg:oauth:2.0:oob; the legacy EMS client",
    },
    WellKnownClient {
        name: "aks",
        aliases: &["kubelogin", "azure-kubernetes-service"],
        id: "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
        display_name: "Azure Kubernetes Service AAD Client",
        reaches: "AKS clusters with Entra integration (scope 6dae42f8-4368-4678-94ff-3960e28e3630/.default), for kubectl",
    },
];

/// The AKS Entra server application, whose tokens kubectl presents to AKS clusters.
pub const AKS_SERVER_APP: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// The client ID for a name or alias (any case); anything else is returned as given.
pub fn resolve_client_id(input: &str) -> &str {
    let lower = input.to_ascii_lowercase();
    WELL_KNOWN
        .iter()
        .find(|c| c.name == lower || c.aliases.contains(&lower.as_str()))
        .map(|c| c.id)
        .unwrap_or(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_resolve_and_ids_pass_through() {
        assert_eq!(
            resolve_client_id("azure-cli"),
            "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        );
        assert_eq!(
            resolve_client_id("EXO"),
            "fb78d390-0c51-40cd-8e17-fdbfab77341b"
        );
        assert_eq!(
            resolve_client_id("graph-cli"),
            "14d82eec-204b-4c2f-b7e8-296a70dab67e"
        );
        assert_eq!(resolve_client_id("my-own-id"), "my-own-id");
    }

    #[test]
    fn ids_are_guids_and_names_unique() {
        let mut names = Vec::new();
        for c in WELL_KNOWN {
            assert!(uuid::Uuid::parse_str(c.id).is_ok(), "{}", c.id);
            names.push(c.name);
            names.extend(c.aliases);
        }
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
