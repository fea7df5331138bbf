//! "Low" arguments: the clap definitions. Nothing here reads files or talks to the network.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use entra_token::env;

const CC_EXAMPLES: &str = "\
EXAMPLES:
  Call Microsoft Graph from a shell script (secret from the environment):
    export AZURE_TENANT_ID=contoso.onmicrosoft.com
    export AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000
    export AZURE_CLIENT_SECRET=...   # from your secret store
    hdr=$(entra-token client-credentials -o header)
    curl -H \"$hdr\" https://graph.microsoft.com/v1.0/users
  The header is taken on a line of its own: under set -e a failing entra-token
  then stops the script, where curl -H \"$(entra-token ...)\" would run anyway.

  Read the secret from a file, or from stdin with '-':
    entra-token client-credentials -t $TENANT -c $APP --client-secret-file ~/.secrets/app
    vault read -field=secret kv/app | entra-token client-credentials -t $TENANT -c $APP --client-secret-file -

  A certificate instead of a secret (PEM or PFX):
    entra-token client-credentials --certificate app.pem

  GitHub Actions with workload identity federation (needs `permissions: id-token: write`):
    entra-token client-credentials --github-oidc -t $TENANT -c $APP

  AKS workload identity (the webhook sets AZURE_FEDERATED_TOKEN_FILE and friends):
    entra-token client-credentials -s https://vault.azure.net/.default

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

/// The EXAMPLES (and EXIT STATUS) of a command's long help, printed as they are: clap
/// would re-wrap them at the terminal's width and split commands.
pub fn examples(path: &[&str]) -> Option<&'static str> {
    Some(match path {
        ["client-credentials"] => CC_EXAMPLES,
        ["cert-assertion"] => CA_EXAMPLES,
        ["device-code"] => DC_EXAMPLES,
        ["auth-code"] => AC_EXAMPLES,
        ["refresh"] => RF_EXAMPLES,
        ["admin-consent"] => CONSENT_EXAMPLES,
        ["managed-identity" | "mi"] => MI_EXAMPLES,
        ["decode"] => DECODE_EXAMPLES,
        ["cache"] => CACHE_EXAMPLES,
        ["completions"] => COMPLETIONS_EXAMPLES,
        _ => return None,
    })
}

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
    /// Show requests and responses on stderr, with every secret, code and token redacted
    /// (-vv: whole bodies and timings).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 900)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// App-only token: the app proves itself with a secret, a certificate or a federated token.
    ///
    /// Redeems the OAuth2 client credentials grant at the tenant's token endpoint and
    /// prints the access token. The tenant must be one directory (a GUID or a verified
    /// domain): common, organizations and consumers name none.
    ///
    /// The credential is the first of: --client-secret-file, --certificate,
    /// --federated-token-file, --github-oidc; then AZURE_CLIENT_SECRET,
    /// AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE. A secret is never taken
    /// from an option value.
    ClientCredentials(ClientCredentialsArgs),

    /// App-only token with a certificate-signed JWT client assertion (RFC 7523).
    ///
    /// Signs a fresh assertion for every request: RS256 with x5t (base64url of the SHA-1
    /// thumbprint) by default, or PS256 with x5t#S256; aud is the exact token endpoint,
    /// iss and sub the client ID, a new jti, valid for 10 minutes. --print-assertion prints
    /// the signed JWT instead of sending it, for tools that take a client assertion.
    /// For a token alone, client-credentials --certificate does the same; use
    /// cert-assertion when you need the assertion itself, or the certificate must be
    /// used even where AZURE_CLIENT_SECRET is set.
    CertAssertion(CertAssertionArgs),

    /// Delegated token: the user signs in on another device with a code (RFC 8628).
    ///
    /// Prints the sign-in instructions on stderr (a live countdown on a terminal), polls
    /// Entra at the interval it asks for, and prints the token on stdout once the user has
    /// signed in. v2 scopes get openid, profile and offline_access added, so the answer
    /// holds a refresh token (see `-o json` and `entra-token refresh`). The tenant defaults
    /// to organizations. Ctrl-C cancels with exit 5.
    DeviceCode(DeviceCodeArgs),

    /// Delegated token: browser sign-in with an authorization code and PKCE.
    ///
    /// Prints the sign-in URL on stderr and opens the browser (unless --no-browser). With a
    /// loopback redirect (the default, http://localhost:PORT) a one-shot listener on
    /// 127.0.0.1 receives the code; with any other redirect URI (nativeclient, oob) paste
    /// the final address, or the code, on stdin. state is checked and PKCE S256 is always
    /// used. The tenant defaults to organizations.
    AuthCode(AuthCodeArgs),

    /// New access token from a refresh token; a rotated refresh token is saved back.
    ///
    /// Reads the refresh token from --refresh-token-file (or stdin with '-'), or takes the
    /// cached one of this client and tenant. When Entra returns a new refresh token it
    /// replaces the old one in that file, atomically and with mode 0600, unless --no-save
    /// (the cache is updated likewise). The tenant defaults to organizations.
    Refresh(RefreshArgs),

    /// An administrator installs an app into a whole tenant; prints the tenant ID.
    ///
    /// Opens the v2 /adminconsent page (or, with --resource, the v1 authorize page with
    /// prompt=admin_consent) for the app, and waits for the redirect exactly as auth-code
    /// does: a loopback listener, or the final address pasted on stdin. On success stdout
    /// is the ID of the tenant that consented; nothing is redeemed and no token is printed.
    /// A multi-tenant service app can then use client-credentials in that tenant. The
    /// tenant defaults to organizations (the administrator's own directory).
    AdminConsent(AdminConsentArgs),

    /// Token of the Azure resource this runs on: managed identity, no secret at all.
    ///
    /// Finds the identity endpoint of the platform (Service Fabric, App Service and
    /// Functions, Azure ML, Cloud Shell, Azure Arc, else the VM's IMDS; --source forces one)
    /// and prints its token. The system-assigned identity unless --client-id (or
    /// AZURE_CLIENT_ID), --object-id or --resource-id names a user-assigned one. Never
    /// through a proxy; cached like every token.
    #[command(visible_alias = "mi")]
    ManagedIdentity(ManagedIdentityArgs),

    /// Show a JWT's header, claims and a summary; no network, no signature check.
    ///
    /// Answers "why does the API say 401": wrong audience, missing roles or scopes, an
    /// expired token. The token comes from the argument, or stdin when it is '-' or
    /// absent; a leading "Bearer " or "Authorization: Bearer " is ignored. The signature
    /// is NOT verified.
    Decode(DecodeArgs),

    /// Inspect or empty the token cache (never prints a token or a secret).
    #[command(subcommand)]
    Cache(CacheCommand),

    /// Print a shell completion script: bash, zsh, fish, powershell, elvish.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Write man pages (roff) generated from these definitions; for packagers.
    Man {
        /// Write entra-token.1 and one page per command into DIR instead of printing
        /// entra-token.1 on stdout.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const DECODE_EXAMPLES: &str = "\
EXAMPLES:
  Why does Graph say 401? Look at aud, roles/scp and exp:
    entra-token client-credentials | entra-token decode

  One claim, raw, for scripts:
    entra-token client-credentials | entra-token decode --claim roles
    [ \"$(entra-token decode --claim aud < token.txt)\" = https://graph.microsoft.com ]

  PowerShell:
    entra-token device-code -c graph-powershell | entra-token decode --claim scp";

const CACHE_EXAMPLES: &str = "\
EXAMPLES:
  entra-token cache list
  entra-token cache list --json | jq -r 'select(.kind==\"app\") | .target'
  entra-token cache clear --client-id $APP
  entra-token cache clear";

const COMPLETIONS_EXAMPLES: &str = "\
EXAMPLES:
  bash:        entra-token completions bash > ~/.local/share/bash-completion/completions/entra-token
  zsh:         entra-token completions zsh > \"${fpath[1]}/_entra-token\"
  fish:        entra-token completions fish > ~/.config/fish/completions/entra-token.fish
  PowerShell:  entra-token completions powershell | Out-String | Invoke-Expression
  elvish:      entra-token completions elvish >> ~/.config/elvish/rc.elv";

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token; '-' or nothing reads it from stdin (keeps it out of `ps`).
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,

    /// Print only this claim: strings raw, anything else as JSON.
    #[arg(long, value_name = "NAME", conflicts_with = "output")]
    pub claim: Option<String>,

    /// text: header, payload and summary; json: one object with all three.
    #[arg(short, long, value_enum, default_value_t = DecodeOutput::Text, value_name = "FORM")]
    pub output: DecodeOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DecodeOutput {
    /// Pretty JSON of header and payload, then a summary.
    Text,
    /// One JSON object: header, payload, summary, signature_verified (always false).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cached entries: kind, expiry, tenant, client, scopes or resource, account.
    List {
        /// One JSON object per entry, one per line.
        #[arg(long)]
        json: bool,
    },
    /// Remove cached entries: all, or those of a tenant and/or client.
    Clear {
        /// Only entries of this tenant (as it was given).
        #[arg(short, long, value_name = "TENANT")]
        tenant: Option<String>,
        /// Only entries of this client ID (or well-known name).
        #[arg(short = 'c', long, value_name = "GUID")]
        client_id: Option<String>,
    },
}

const DC_EXAMPLES: &str = "\
EXAMPLES:
  Sign in with the Microsoft Graph command-line tools' public client:
    entra-token device-code -c graph-powershell -s User.Read -s Mail.Read

  Exchange Online PowerShell:
    $token = entra-token device-code -c exchange-online -s https://outlook.office365.com/.default
    Connect-ExchangeOnline -AccessToken $token -UserPrincipalName adele@contoso.com

  Keep the refresh token for later runs (umask 077: the file is 0600 from the start):
    (umask 077; entra-token device-code -c $APP -o json | jq -r .refresh_token > ~/.config/app.rt)

WELL-KNOWN CLIENTS (--client-id NAME):
  azure-cli, azure-powershell, graph-powershell, exchange-online,
  exchange-management-shell, aks (see README)";

const AC_EXAMPLES: &str = "\
EXAMPLES:
  Browser sign-in on this machine (loopback redirect, any free port):
    entra-token auth-code -c $APP -s User.Read

  Over SSH: no browser here, paste the final address back:
    entra-token auth-code -c $APP --no-browser \\
      --redirect-uri https://login.microsoftonline.com/common/oauth2/nativeclient

  A fixed port and path registered as http://localhost:8765/callback:
    entra-token auth-code -c $APP --redirect-uri http://localhost:8765/callback

  Choose the account and the tenant's sign-in page:
    entra-token auth-code -c $APP --prompt select_account --login-hint adele@contoso.com --domain-hint contoso.com";

const CONSENT_EXAMPLES: &str = "\
EXAMPLES:
  Install a multi-tenant service app into a customer's tenant, then use it there:
    tenant=$(entra-token admin-consent -c $APP -t customer.onmicrosoft.com)
    entra-token client-credentials -t \"$tenant\" -c $APP --certificate app.pem

  Over SSH: no browser here, paste the final address back:
    entra-token admin-consent -c $APP --no-browser \\
      --redirect-uri https://login.microsoftonline.com/common/oauth2/nativeclient

  v1 (resource instead of scopes; prompt=admin_consent):
    entra-token admin-consent -c $APP -r https://management.azure.com/

EXIT STATUS:
  0 consent granted (tenant ID on stdout); 1 local problem (the listener port is taken);
  2 usage error; 3 Entra refused (not an administrator, app not multi-tenant, redirect URI
  not registered); 5 the redirect did not come back (state mismatch, cancelled, timed out).";

const MI_EXAMPLES: &str = "\
EXAMPLES:
  Azure Resource Manager from a VM's cron job (the system-assigned identity):
    entra-token managed-identity

  Key Vault with a user-assigned identity:
    entra-token mi -s https://vault.azure.net/.default --client-id $IDENTITY_CLIENT_ID

  kubectl on an AKS node or VM (a kubeconfig exec plugin, see README):
    entra-token mi -r 6dae42f8-4368-4678-94ff-3960e28e3630 -o exec-credential

EXIT STATUS:
  0 token printed; 1 local problem (the Arc key file); 2 usage error (two identities, a
  source the environment lacks); 3 refused (identity not assigned); 4 no endpoint
  answered (not an Azure resource?), 5xx after retries.";

const RF_EXAMPLES: &str = "\
EXAMPLES:
  A fresh access token; the rotated refresh token replaces the old one in the file:
    entra-token refresh -c $APP --refresh-token-file ~/.config/app.rt -s User.Read

  From stdin (nothing can be saved; -o json shows the new refresh token):
    vault kv get -field=rt kv/app | entra-token refresh -c $APP --refresh-token-file - -o json";

const CA_EXAMPLES: &str = "\
EXAMPLES:
  A token with a PEM file (certificate + private key):
    entra-token cert-assertion -t contoso.onmicrosoft.com -c $APP --certificate app.pem

  A PFX exported from Windows, password from a file:
    entra-token cert-assertion --certificate app.pfx --certificate-password-file ~/.secrets/pfx

  PS256 with x5t#S256, and the chain in x5c (subject name + issuer authentication):
    entra-token cert-assertion --certificate app.pem --assertion-alg PS256 --send-certificate-chain

  Only the signed assertion, for another tool:
    entra-token cert-assertion --certificate app.pem --print-assertion

EXIT STATUS:
  0 printed; 1 local problem (unreadable file, wrong PFX password, key does not match the
  certificate, non-RSA key); 2 usage error; 3 Entra refused; 4 transport.";

#[derive(Debug, Args)]
pub struct ClientCredentialsArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    #[command(flatten)]
    pub secret: SecretArgs,

    #[command(flatten)]
    pub certificate: CertificateArgs,

    #[command(flatten)]
    pub federated: FederatedArgs,
}

#[derive(Debug, Args)]
pub struct CertAssertionArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    #[command(flatten)]
    pub certificate: CertificateArgs,

    /// Print the signed client assertion (a JWT) instead of requesting a token.
    #[arg(long)]
    pub print_assertion: bool,
}

#[derive(Debug, Args)]
pub struct DeviceCodeArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    /// Which cached account to use when several have signed in (their sign-in name).
    #[arg(long, value_name = "UPN")]
    pub login_hint: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuthCodeArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    #[command(flatten)]
    pub redirect: RedirectArgs,

    /// prompt= on the authorize request (admin_consent: v1 only, with --resource).
    #[arg(long, value_enum, value_name = "PROMPT")]
    pub prompt: Option<PromptArg>,

    /// login_hint=: the account to sign in with.
    #[arg(long, value_name = "UPN")]
    pub login_hint: Option<String>,

    /// domain_hint=: skip home realm discovery for this domain.
    #[arg(long, value_name = "DOMAIN")]
    pub domain_hint: Option<String>,

    /// Give up waiting for the browser after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout_signin: u64,

    #[command(flatten)]
    pub secret: OptionalSecretArgs,

    #[command(flatten)]
    pub certificate: CertificateArgs,
}

/// Where the browser comes back: the loopback listener or paste-back (auth-code and
/// admin-consent alike).
#[derive(Debug, Args)]
pub struct RedirectArgs {
    /// Redirect URI; default http://localhost:PORT served on 127.0.0.1.
    ///
    /// A loopback http URI is served by the listener (its path is accepted, as is /; a
    /// [::1] URI is served on [::1]); any other
    /// (https://login.microsoftonline.com/common/oauth2/nativeclient,
    /// urn:ietf:wg:oauth:2.0:oob) means paste-back: the final address is read from stdin.
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,

    /// Port of the loopback listener (default: any free port).
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Do not open a browser; the URL is on stderr either way.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct AdminConsentArgs {
    #[command(flatten)]
    pub app: AppArgs,

    #[command(flatten)]
    pub redirect: RedirectArgs,

    /// Give up waiting for the browser after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout_signin: u64,
}

#[derive(Debug, Args)]
pub struct ManagedIdentityArgs {
    /// Scope: exactly one (a trailing /.default is dropped to make the resource).
    #[arg(
        short,
        long = "scope",
        value_name = "SCOPE",
        conflicts_with = "resource"
    )]
    pub scopes: Vec<String>,

    /// Resource URI. Default: https://management.azure.com/
    #[arg(short, long, value_name = "URI")]
    pub resource: Option<String>,

    /// A user-assigned identity's client ID.
    #[arg(short = 'c', long, env = env::CLIENT_ID, hide_env_values = true, value_name = "GUID")]
    pub client_id: Option<String>,

    /// A user-assigned identity's object (principal) ID.
    #[arg(long, value_name = "GUID", conflicts_with_all = ["resource_id", "system_assigned"])]
    pub object_id: Option<String>,

    /// A user-assigned identity's ARM resource ID.
    #[arg(long, value_name = "ID", conflicts_with = "system_assigned")]
    pub resource_id: Option<String>,

    /// The system-assigned identity, even when AZURE_CLIENT_ID is set.
    #[arg(long)]
    pub system_assigned: bool,

    /// Use this source instead of detecting one.
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub source: Option<SourceArg>,

    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    /// IDENTITY_ENDPOINT + IDENTITY_HEADER + IDENTITY_SERVER_THUMBPRINT
    #[value(name = "service-fabric")]
    ServiceFabric,
    /// IDENTITY_ENDPOINT + IDENTITY_HEADER (also Functions, Container Apps, Automation)
    #[value(name = "app-service")]
    AppService,
    /// MSI_ENDPOINT + MSI_SECRET
    #[value(name = "azure-ml")]
    AzureMl,
    /// MSI_ENDPOINT alone: the signed-in user's token
    #[value(name = "cloud-shell")]
    CloudShell,
    /// IDENTITY_ENDPOINT + IMDS_ENDPOINT, or the Arc agent installed
    Arc,
    /// 169.254.169.254 (or AZURE_POD_IDENTITY_AUTHORITY_HOST)
    Imds,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub common: TokenArgs,

    /// File holding the refresh token ('-' = stdin); default: the cached one.
    #[arg(long, value_name = "PATH")]
    pub refresh_token_file: Option<PathBuf>,

    /// Which cached account's refresh token to use (their sign-in name).
    #[arg(long, value_name = "UPN", conflicts_with = "refresh_token_file")]
    pub login_hint: Option<String>,

    /// Do not write a rotated refresh token back to the file.
    #[arg(long)]
    pub no_save: bool,

    #[command(flatten)]
    pub secret: OptionalSecretArgs,

    #[command(flatten)]
    pub certificate: CertificateArgs,
}

/// A confidential web app's secret, for delegated flows (only from a file: delegated flows
/// never pick up AZURE_CLIENT_SECRET, which would break public clients).
#[derive(Debug, Args)]
#[command(next_help_heading = "Confidential client (optional)")]
pub struct OptionalSecretArgs {
    /// Refused: a secret on the command line shows in `ps` and in shell history.
    #[arg(long = "client-secret", hide = true, value_name = "SECRET", num_args = 0..=1)]
    pub client_secret_value: Option<Option<String>>,

    /// Read a client secret from PATH ('-' = stdin), for a confidential web app.
    #[arg(long, value_name = "PATH", conflicts_with = "certificate")]
    pub client_secret_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PromptArg {
    /// Always ask for credentials.
    Login,
    /// Ask for consent again.
    Consent,
    /// Show the account picker.
    #[value(name = "select_account")]
    SelectAccount,
    /// No interaction: fail if the user would have to act.
    None,
    /// An administrator consents for the whole tenant (v1, with --resource).
    #[value(name = "admin_consent")]
    AdminConsent,
}

impl PromptArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Consent => "consent",
            Self::SelectAccount => "select_account",
            Self::None => "none",
            Self::AdminConsent => "admin_consent",
        }
    }
}

/// How a confidential client proves itself with a secret.
#[derive(Debug, Args)]
#[command(next_help_heading = "Client secret")]
pub struct SecretArgs {
    /// Refused: a secret on the command line shows in `ps` and in shell history.
    #[arg(long = "client-secret", hide = true, value_name = "SECRET", num_args = 0..=1)]
    pub client_secret_value: Option<Option<String>>,

    /// Read the client secret from PATH ('-' = stdin); one trailing newline is dropped.
    ///
    /// Without it, the secret comes from AZURE_CLIENT_SECRET. There is deliberately no
    /// option that takes the secret itself: it would show in `ps` and shell history.
    #[arg(long, value_name = "PATH",
          conflicts_with_all = ["certificate", "federated_token_file", "github_oidc",
                                "azure_pipelines", "managed_identity_assertion"])]
    pub client_secret_file: Option<PathBuf>,
}

/// A certificate credential.
#[derive(Debug, Args)]
#[command(next_help_heading = "Certificate")]
pub struct CertificateArgs {
    /// Certificate file: PEM (certificate + key) or PFX/PKCS#12, detected by content.
    ///
    /// Default: AZURE_CLIENT_CERTIFICATE_PATH. A PEM may hold the chain after the leaf.
    #[arg(long, value_name = "PATH")]
    pub certificate: Option<PathBuf>,

    /// PEM private key (PKCS#8 or PKCS#1) when it is not in the certificate file.
    #[arg(long, value_name = "PATH")]
    pub private_key: Option<PathBuf>,

    /// Read the PFX password from PATH ('-' = stdin); default AZURE_CLIENT_CERTIFICATE_PASSWORD.
    #[arg(long, value_name = "PATH")]
    pub certificate_password_file: Option<PathBuf>,

    /// Assertion signature: RS256 with x5t, or PS256 with x5t#S256.
    #[arg(long, value_enum, default_value_t = AlgArg::Rs256, value_name = "ALG")]
    pub assertion_alg: AlgArg,

    /// Add the certificate chain as x5c (subject name + issuer authentication).
    ///
    /// Also on when AZURE_CLIENT_SEND_CERTIFICATE_CHAIN is 1 or true.
    #[arg(long)]
    pub send_certificate_chain: bool,
}

/// A federated credential (workload identity federation).
#[derive(Debug, Args)]
#[command(next_help_heading = "Federated credential")]
pub struct FederatedArgs {
    /// File holding a federated token, re-read on every run; default AZURE_FEDERATED_TOKEN_FILE.
    ///
    /// This is how AKS workload identity hands out tokens; Kubernetes rotates the file.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["github_oidc", "certificate"])]
    pub federated_token_file: Option<PathBuf>,

    /// In GitHub Actions: fetch the job's OIDC token and present it (no stored secret).
    ///
    /// Needs `permissions: id-token: write` in the workflow, which makes GitHub set
    /// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN.
    #[arg(long, conflicts_with = "certificate")]
    pub github_oidc: bool,

    /// Audience of the GitHub OIDC token.
    #[arg(
        long,
        value_name = "AUD",
        default_value = "api://AzureADTokenExchange",
        requires = "github_oidc"
    )]
    pub github_audience: String,

    /// In Azure Pipelines: the service connection's OIDC token (workload identity
    /// federation; no stored secret).
    ///
    /// Needs SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN (map it in the step:
    /// `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`); client and tenant default to
    /// AZURESUBSCRIPTION_CLIENT_ID and AZURESUBSCRIPTION_TENANT_ID.
    #[arg(long, conflicts_with_all = ["github_oidc", "federated_token_file", "certificate"])]
    pub azure_pipelines: bool,

    /// The Azure Pipelines service connection [env: AZURESUBSCRIPTION_SERVICE_CONNECTION_ID]
    #[arg(long, value_name = "ID", requires = "azure_pipelines")]
    pub service_connection_id: Option<String>,

    /// Present a user-assigned managed identity's token (an app that trusts the identity).
    ///
    /// Name the identity with --mi-client-id, --mi-object-id or --mi-resource-id; its token
    /// is for api://AzureADTokenExchange (USGov/China by --cloud) from whichever managed
    /// identity source this machine has.
    #[arg(
        long,
        conflicts_with_all = ["github_oidc", "federated_token_file", "certificate", "azure_pipelines"]
    )]
    pub managed_identity_assertion: bool,

    /// The user-assigned identity's client ID.
    #[arg(long, value_name = "GUID", requires = "managed_identity_assertion",
          conflicts_with_all = ["mi_object_id", "mi_resource_id"])]
    pub mi_client_id: Option<String>,

    /// The user-assigned identity's object (principal) ID.
    #[arg(
        long,
        value_name = "GUID",
        requires = "managed_identity_assertion",
        conflicts_with = "mi_resource_id"
    )]
    pub mi_object_id: Option<String>,

    /// The user-assigned identity's ARM resource ID.
    #[arg(long, value_name = "ID", requires = "managed_identity_assertion")]
    pub mi_resource_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgArg {
    /// RSASSA-PKCS1-v1_5 with SHA-256; header x5t (SHA-1 thumbprint)
    #[value(name = "RS256", alias = "rs256")]
    Rs256,
    /// RSASSA-PSS with SHA-256, salt 32; header x5t#S256 (SHA-256 thumbprint)
    #[value(name = "PS256", alias = "ps256")]
    Ps256,
}

/// Who asks where, for what: the app, its tenant and cloud, and the target.
#[derive(Debug, Args)]
pub struct AppArgs {
    /// Tenant: a directory GUID, a verified domain, or common/organizations/consumers.
    #[arg(short, long, env = env::TENANT, hide_env_values = true, value_name = "TENANT")]
    pub tenant: Option<String>,

    /// Application (client) ID, or a well-known public client's name (azure-cli, ...).
    #[arg(short = 'c', long, env = env::CLIENT_ID, hide_env_values = true, value_name = "GUID")]
    pub client_id: Option<String>,

    /// Scope (v2 endpoint); repeat it or separate scopes by spaces.
    ///
    /// Default: Microsoft Graph of the cloud: https://graph.microsoft.com/.default
    /// (usgov: graph.microsoft.us, china: microsoftgraph.chinacloudapi.cn)
    #[arg(
        short,
        long = "scope",
        value_name = "SCOPE",
        conflicts_with = "resource"
    )]
    pub scopes: Vec<String>,

    /// Resource URI; selects the v1 endpoint (resource= instead of scope=).
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
}

/// Options shared by every command that gets a token.
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub app: AppArgs,

    #[command(flatten)]
    pub out: OutputArgs,

    /// Claims challenge (JSON, or base64 of it) from a WWW-Authenticate header (CAE).
    #[arg(long, value_name = "JSON")]
    pub claims: Option<String>,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}

/// What to print, and how to cache and fetch it: every token command has these.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// What to print on stdout.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Token, value_name = "FORM")]
    pub output: OutputArg,

    /// With -o github-env or azure-pipelines: the variable later steps read the token from.
    ///
    /// Default: ENTRA_ACCESS_TOKEN.
    #[arg(long, value_name = "NAME")]
    pub env_name: Option<String>,

    /// Do not read or write the token cache (kept in ENTRA_TOKEN_CACHE_DIR or ~/.cache).
    #[arg(long, conflicts_with = "force_refresh")]
    pub no_cache: bool,

    /// Do not use a cached access token; store the new one (delegated flows may still
    /// refresh silently with the cached refresh token).
    #[arg(long)]
    pub force_refresh: bool,

    /// Reuse a cached access token only if it has at least this long left (300, 90s, 5m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "5m",
          value_parser = parse_duration)]
    pub min_validity: u64,

    /// Timeout of each HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
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
    /// The shape of `az account get-access-token -o json`.
    #[value(name = "az-json")]
    AzJson,
    /// GitHub Actions: mask the token and append NAME=token to $GITHUB_ENV (--env-name).
    #[value(name = "github-env")]
    GithubEnv,
    /// Azure Pipelines: a secret pipeline variable NAME (--env-name) for later steps.
    #[value(name = "azure-pipelines")]
    AzurePipelines,
    /// kubectl's ExecCredential JSON (a credential plugin for AKS).
    #[value(name = "exec-credential")]
    ExecCredential,
}

/// Parses `--min-validity`: seconds, or a number with s, m or h.
fn parse_duration(text: &str) -> Result<u64, String> {
    entra_token::clock::parse_duration(text)
        .ok_or_else(|| format!("'{text}' is not a duration such as 300, 90s, 5m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
