//! "Low" arguments: the clap definitions. Nothing here reads files or talks to the network.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::env;

const CC_EXAMPLES: &str = "\
EXAMPLES:
  Call Microsoft Graph from a shell script (secret from the environment):
    export AZURE_TENANT_ID=contoso.onmicrosoft.com AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000
    export AZURE_CLIENT_SECRET=...   # from your secret store, never typed on the command line
    curl -H \"$(entra-token client-credentials -o header)\" https://graph.microsoft.com/v1.0/users

  Read the secret from a file, or from stdin with '-':
    entra-token client-credentials -t $TENANT -c $APP --client-secret-file ~/.secrets/app
    vault read -field=secret kv/app | entra-token client-credentials -t $TENANT -c $APP --client-secret-file -

  A token for Azure Resource Manager, v1 endpoint:
    entra-token client-credentials --resource https://management.azure.com/

  PowerShell:
    $h = @{ Authorization = (entra-token client-credentials -o bearer) }
    Invoke-RestMethod -Headers $h https://graph.microsoft.com/v1.0/organization

  Everything Entra returned, as JSON (numbers are numbers, also from v1):
    entra-token client-credentials -o json | jq .expires_on

  US Government cloud, or a test server on loopback:
    entra-token client-credentials --cloud usgov -s https://graph.microsoft.us/.default
    entra-token client-credentials --authority-host http://127.0.0.1:8400

EXIT STATUS:
  0 token printed; 1 local problem (file, certificate, cache); 2 usage error;
  3 Entra refused (AADSTS code and hint on stderr); 4 transport (DNS, TLS, timeout,
  bad or oversized answer, 5xx after retries); 5 sign-in did not complete.";

/// Get Microsoft Entra ID (Azure AD) OAuth2 tokens for shells, PowerShell and CI.
///
/// Tokens go to stdout and nothing else does; messages, prompts and `-v` traces go to
/// stderr. Secrets are never taken from the command line: they come from environment
/// variables or files.
#[derive(Debug, Parser)]
#[command(
    name = "entra-token",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Show requests and responses on stderr, with every secret, code and token redacted.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// App-only token: the app proves itself with a client secret.
    ///
    /// Redeems the OAuth2 client credentials grant at the tenant's token endpoint and
    /// prints the access token. The tenant must be one directory (a GUID or a verified
    /// domain): common, organizations and consumers name none. The client secret comes from
    /// AZURE_CLIENT_SECRET or --client-secret-file, never from an option value.
    #[command(after_long_help = CC_EXAMPLES)]
    ClientCredentials(ClientCredentialsArgs),
}

#[derive(Debug, Args)]
pub struct ClientCredentialsArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    #[command(flatten)]
    pub secret: SecretArgs,
}

/// How a confidential client proves itself.
#[derive(Debug, Args)]
#[command(next_help_heading = "Client credential")]
pub struct SecretArgs {
    /// Read the client secret from PATH ('-' = stdin); one trailing newline is dropped.
    ///
    /// Without it, the secret comes from AZURE_CLIENT_SECRET. There is deliberately no
    /// option that takes the secret itself: it would show in `ps` and shell history.
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
}

/// Options shared by every command that gets a token.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Tenant: a directory GUID, a verified domain, or common/organizations/consumers.
    #[arg(short, long, env = env::TENANT, value_name = "TENANT")]
    pub tenant: Option<String>,

    /// Application (client) ID.
    #[arg(short = 'c', long, env = env::CLIENT_ID, value_name = "GUID")]
    pub client_id: Option<String>,

    /// Scope (v2 endpoint); repeat it or separate scopes by spaces.
    ///
    /// Default: https://graph.microsoft.com/.default
    #[arg(
        short,
        long = "scope",
        value_name = "SCOPE",
        conflicts_with = "resource"
    )]
    pub scopes: Vec<String>,

    /// Resource URI; selects the v1 endpoint (/oauth2/token).
    #[arg(short, long, value_name = "URI")]
    pub resource: Option<String>,

    /// Authority host URL, or a bare host meaning https [env: AZURE_AUTHORITY_HOST]
    ///
    /// Plain http is refused, before anything is sent, unless the host is loopback
    /// (127.0.0.0/8, localhost, [::1]). Default: the --cloud's host.
    #[arg(long, value_name = "URL", conflicts_with = "cloud")]
    pub authority_host: Option<String>,

    /// National cloud whose authority host to use.
    #[arg(long, value_enum, value_name = "CLOUD")]
    pub cloud: Option<CloudArg>,

    /// What to print on stdout.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Token, value_name = "FORM")]
    pub output: OutputArg,

    /// Do not read or write the token cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Do not read the token cache; still store the new token.
    #[arg(long)]
    pub force_refresh: bool,

    /// Timeout of each HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Claims challenge (JSON, or base64 of it) from a WWW-Authenticate header (CAE).
    #[arg(long, value_name = "JSON")]
    pub claims: Option<String>,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    /// login.microsoftonline.com
    Public,
    /// login.microsoftonline.us
    Usgov,
    /// login.chinacloudapi.cn
    China,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// The access token and a newline.
    Token,
    /// `Bearer <token>`.
    Bearer,
    /// `Authorization: Bearer <token>`.
    Header,
    /// One JSON object with everything Entra returned.
    Json,
}
