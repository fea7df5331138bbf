//! The only writer of stdout: the answer, written once, after success.

use std::io::{self, Write};

use anyhow::Result;
use entra_token::{Error, TokenResponse};

use super::report::usage;

use clap::ValueEnum;

use super::args::{OutputArg, OutputArgs};
use entra_token::env;

/// What some output forms need beyond the token.
pub struct Context<'a> {
    /// The tenant as given (az-json falls back to it when the token names none).
    pub tenant: &'a str,
    /// The variable name of `-o github-env`.
    pub env_name: &'a str,
}

/// Renders a token in the requested form (with its final newline). `github-env` also
/// appends to `$GITHUB_ENV`.
pub fn render_token(token: &TokenResponse, form: OutputArg, ctx: &Context<'_>) -> Result<Vec<u8>> {
    let at = token.access_token.expose();
    let text = match form {
        OutputArg::Token => format!("{at}\n"),
        OutputArg::Bearer => format!("Bearer {at}\n"),
        OutputArg::Header => format!("Authorization: Bearer {at}\n"),
        OutputArg::Json => {
            let mut s = serde_json::to_string(&token.json_output()).map_err(json_error)?;
            s.push('\n');
            s
        }
        OutputArg::AzJson => {
            let tenant = entra_token::jwt::claims(at)
                .ok()
                .and_then(|c| c.get("tid").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_else(|| ctx.tenant.to_owned());
            let az = serde_json::json!({
                "accessToken": at,
                "expiresOn": format!("{}.000000", entra_token::clock::format_utc(token.expires_on as i64)),
                "expires_on": token.expires_on,
                "tenant": tenant,
                "tokenType": token.token_type,
            });
            let mut s = serde_json::to_string_pretty(&az).map_err(json_error)?;
            s.push('\n');
            s
        }
        OutputArg::GithubEnv => {
            github_env(ctx.env_name, at)?;
            format!("::add-mask::{at}\n")
        }
        OutputArg::AzurePipelines => {
            check_variable_name(ctx.env_name, "--env-name")?;
            format!(
                "##vso[task.setvariable variable={};issecret=true]{}\n",
                vso_property(ctx.env_name),
                vso_data(at)
            )
        }
        OutputArg::ExecCredential => exec_credential(at, token.expires_on)?,
    };
    Ok(text.into_bytes())
}

fn json_error(e: serde_json::Error) -> Error {
    Error::local(format!("cannot render the token as JSON: {e}"))
}

/// The variable of `-o github-env` and `-o azure-pipelines` when `--env-name` names none.
pub const DEFAULT_ENV_NAME: &str = "ENTRA_ACCESS_TOKEN";

/// Checks the output options before any request: `--env-name` only with an output that
/// uses it, a usable name, `$GITHUB_ENV` for `-o github-env`, a supported
/// `KUBERNETES_EXEC_INFO` for `-o exec-credential`. A mistake costs no token.
pub fn check(out: &OutputArgs) -> Result<()> {
    let name = out.env_name.as_deref().unwrap_or(DEFAULT_ENV_NAME);
    match out.output {
        OutputArg::GithubEnv => {
            check_github_name(name)?;
            github_env_path()?;
        }
        OutputArg::AzurePipelines => check_variable_name(name, "--env-name")?,
        OutputArg::ExecCredential => {
            exec_credential_version()?;
        }
        other if out.env_name.is_some() => {
            return Err(usage(format!(
                "--env-name names the variable of -o github-env or -o azure-pipelines; it does nothing with -o {}",
                other
                    .to_possible_value()
                    .map(|v| v.get_name().to_owned())
                    .unwrap_or_default()
            )));
        }
        _ => {}
    }
    Ok(())
}

/// A variable name later steps can use: letters, digits and `_`, not starting with a digit.
fn check_variable_name(name: &str, flag: &str) -> Result<()> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(usage(format!(
            "{flag} '{}' is not a usable variable name (letters, digits, _)",
            name.escape_default()
        )));
    }
    Ok(())
}

/// A `##vso` property value, escaped as the Azure DevOps agent unescapes it.
fn vso_property(value: &str) -> String {
    vso_data(value).replace(']', "%5D").replace(';', "%3B")
}

/// `##vso` command data, escaped (`%` first).
fn vso_data(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// kubectl's ExecCredential, in the version `KUBERNETES_EXEC_INFO` names (v1beta1 when
/// it names none).
fn exec_credential(token: &str, expires_on: u64) -> Result<String> {
    let version = exec_credential_version()?;
    let credential = serde_json::json!({
        "kind": "ExecCredential",
        "apiVersion": version,
        "spec": {"interactive": false},
        "status": {
            "token": token,
            "expirationTimestamp": entra_token::clock::format_rfc3339(
                i64::try_from(expires_on).unwrap_or(i64::MAX / 2)
            ),
        },
    });
    let mut line = serde_json::to_string(&credential).map_err(json_error)?;
    line.push('\n');
    Ok(line)
}

/// The ExecCredential version `KUBERNETES_EXEC_INFO` asks for (v1beta1 when none).
fn exec_credential_version() -> Result<String> {
    const V1: &str = "client.authentication.k8s.io/v1";
    const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
    Ok(match env::string(env::KUBERNETES_EXEC_INFO)? {
        None => V1BETA1.to_owned(),
        Some(info) => {
            let named = serde_json::from_str::<serde_json::Value>(&info)
                .ok()
                .and_then(|v| {
                    v.get("apiVersion")
                        .and_then(|a| a.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            match named.as_str() {
                "" => V1BETA1.to_owned(),
                V1 | V1BETA1 => named,
                other => {
                    return Err(usage(format!(
                        "{} asks for ExecCredential {}, which is not supported ({V1} or {V1BETA1})",
                        env::KUBERNETES_EXEC_INFO,
                        other.escape_default()
                    )));
                }
            }
        }
    })
}

/// `--env-name` for `-o github-env`: a variable name that is not `GITHUB_*`.
fn check_github_name(name: &str) -> Result<()> {
    check_variable_name(name, "--env-name")?;
    if name.to_ascii_uppercase().starts_with("GITHUB_") {
        return Err(usage(format!(
            "--env-name '{name}' is not a usable variable name (letters, digits, _; not GITHUB_*)"
        )));
    }
    Ok(())
}

/// The file `$GITHUB_ENV` names.
fn github_env_path() -> Result<std::path::PathBuf> {
    env::var(env::GITHUB_ENV)
        .map(std::path::PathBuf::from)
        .ok_or_else(|| {
            usage("-o github-env needs GITHUB_ENV, which GitHub Actions sets in every step")
        })
}

/// Appends `NAME=token` to the file named by `$GITHUB_ENV`, creating it (mode 0600) when
/// it is not there yet.
fn github_env(name: &str, token: &str) -> Result<()> {
    check_github_name(name)?;
    let path = github_env_path()?;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| {
        Error::local(format!(
            "cannot append to $GITHUB_ENV ({}): {e}",
            path.display()
        ))
    })?;
    file.write_all(format!("{name}={token}\n").as_bytes())
        .map_err(|e| Error::local(format!("cannot append to $GITHUB_ENV: {e}")).into())
}

/// Writes the whole answer in one call. A closed pipe (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_token::Secret;

    fn token() -> TokenResponse {
        TokenResponse {
            token_type: "Bearer".into(),
            access_token: Secret::new("AT"),
            expires_in: 3599,
            expires_on: 1_700_003_599,
            ext_expires_in: None,
            scope: None,
            resource: Some("https://graph.microsoft.com".into()),
            refresh_token: None,
            id_token: None,
        }
    }

    const CTX: Context<'static> = Context {
        tenant: "contoso.com",
        env_name: "ENTRA_ACCESS_TOKEN",
    };

    #[test]
    fn each_form_renders_exactly() {
        let t = token();
        let r = |f| String::from_utf8(render_token(&t, f, &CTX).unwrap()).unwrap();
        assert_eq!(r(OutputArg::Token), "AT\n");
        assert_eq!(r(OutputArg::Bearer), "Bearer AT\n");
        assert_eq!(r(OutputArg::Header), "Authorization: Bearer AT\n");
        assert_eq!(
            r(OutputArg::Json),
            "{\"token_type\":\"Bearer\",\"access_token\":\"AT\",\"expires_in\":3599,\"expires_on\":1700003599,\"resource\":\"https://graph.microsoft.com\"}\n"
        );
        assert_eq!(
            r(OutputArg::AzJson),
            "{\n  \"accessToken\": \"AT\",\n  \"expiresOn\": \"2023-11-14 23:13:19.000000\",\n  \"expires_on\": 1700003599,\n  \"tenant\": \"contoso.com\",\n  \"tokenType\": \"Bearer\"\n}\n"
        );
    }

    #[test]
    fn github_env_names_are_checked() {
        for bad in ["", "1A", "A-B", "GITHUB_TOKEN", "a b"] {
            assert!(github_env(bad, "x").is_err(), "{bad}");
        }
    }
}
