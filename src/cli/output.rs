//! The only writer of stdout: the answer, written once, after success.

use std::io::{self, Write};

use entra_token::TokenResponse;

use super::args::OutputArg;

/// Renders a token in the requested form (with its final newline).
pub fn render_token(token: &TokenResponse, form: OutputArg) -> Result<Vec<u8>, serde_json::Error> {
    let at = token.access_token.expose();
    let text = match form {
        OutputArg::Token => format!("{at}\n"),
        OutputArg::Bearer => format!("Bearer {at}\n"),
        OutputArg::Header => format!("Authorization: Bearer {at}\n"),
        OutputArg::Json => {
            let mut s = serde_json::to_string(&token.json_output())?;
            s.push('\n');
            s
        }
    };
    Ok(text.into_bytes())
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

    #[test]
    fn each_form_renders_exactly() {
        let t = token();
        let r = |f| String::from_utf8(render_token(&t, f).unwrap()).unwrap();
        assert_eq!(r(OutputArg::Token), "AT\n");
        assert_eq!(r(OutputArg::Bearer), "Bearer AT\n");
        assert_eq!(r(OutputArg::Header), "Authorization: Bearer AT\n");
        assert_eq!(
            r(OutputArg::Json),
            "{\"token_type\":\"Bearer\",\"access_token\":\"AT\",\"expires_in\":3599,\"expires_on\":1700003599,\"resource\":\"https://graph.microsoft.com\"}\n"
        );
    }
}
