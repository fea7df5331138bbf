//! Client assertions as Entra checks them: JWT bearer type, `x5t`/`x5t#S256` of an
//! uploaded certificate, signature, exact `aud`, lifetime, `jti` replay; and federated
//! tokens: issuer, subject and audience of a federated identity credential.

use super::*;

pub(super) type Refusal = Box<Response>;

/// Verifies a client assertion as Entra does. Certificate-signed assertions (iss = the
/// client) are checked against the app's certificates; anything else is a federated
/// token, checked against the app's federated identity credentials.
pub(super) fn verify_assertion(
    state: &Shared,
    app: &App,
    assertion: &str,
    assertion_type: Option<&str>,
    token_url: &str,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
    let refuse = |status: u16, error: &str, code: u64, msg: &str| -> Refusal {
        Box::new(entra_error(status, error, code, msg, headers))
    };
    if assertion_type != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return Err(refuse(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_assertion_type'.",
        ));
    }
    let malformed = || {
        refuse(
            400,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    };
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| malformed())?;
    let claims: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(assertion)
        .map_err(|_| malformed())?
        .claims;
    let iss = claims["iss"].as_str().unwrap_or_default();
    if iss != app.client_id {
        return verify_federated(state, app, assertion, &claims, headers);
    }

    // Certificate-signed assertion.
    let key_not_found = |thumb: &str| {
        refuse(
            401,
            "invalid_client",
            700027,
            &format!(
                "Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{thumb}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{}'.]",
                app.client_id
            ),
        )
    };
    let strict_b64url = |s: &str| URL_SAFE_NO_PAD.decode(s).ok();
    let cert = if let Some(t) = header.x5t_s256.as_deref() {
        let digest = strict_b64url(t)
            .filter(|d| d.len() == 32)
            .ok_or_else(|| key_not_found(t))?;
        app.certificates
            .iter()
            .find(|c| <sha2::Sha256 as sha2::Digest>::digest(c)[..] == digest[..])
            .ok_or_else(|| key_not_found(t))?
    } else if let Some(t) = header.x5t.as_deref() {
        let digest = strict_b64url(t)
            .filter(|d| d.len() == 20)
            .ok_or_else(|| key_not_found(t))?;
        app.certificates
            .iter()
            .find(|c| <sha1::Sha1 as sha1::Digest>::digest(c)[..] == digest[..])
            .ok_or_else(|| key_not_found(t))?
    } else {
        return Err(key_not_found(""));
    };
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The algorithm is not supported.]",
        ));
    }
    if let Some(x5c) = &header.x5c {
        let first = x5c
            .first()
            .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok());
        if first.as_deref() != Some(cert.as_slice()) {
            return Err(refuse(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. [Reason - The first certificate in x5c does not match the thumbprint.]",
            ));
        }
    }
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).map_err(|_| malformed())?;
    if parsed.validity().not_after.timestamp() < now() as i64 {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The key used is expired.]",
        ));
    }
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = parsed.public_key().parsed() else {
        return Err(malformed());
    };
    let key = DecodingKey::from_rsa_raw_components(rsa.modulus, rsa.exponent);
    let mut v = Validation::new(header.alg);
    v.leeway = 300;
    v.set_audience(&[token_url]);
    v.set_issuer(&[&app.client_id]);
    v.sub = Some(app.client_id.clone());
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    v.validate_nbf = true;
    if let Err(e) = jsonwebtoken::decode::<Value>(assertion, &key, &v) {
        return Err(match e.kind() {
            ErrorKind::InvalidSignature => refuse(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation.",
            ),
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => refuse(
                401,
                "invalid_client",
                700024,
                "Client assertion is not within its valid time range.",
            ),
            ErrorKind::InvalidAudience => refuse(
                401,
                "invalid_client",
                700027,
                &format!(
                    "Client assertion audience claim does not match the token endpoint '{token_url}'."
                ),
            ),
            _ => malformed(),
        });
    }
    if claims["iat"].as_u64().is_none() {
        return Err(malformed());
    }
    // The exact AADSTS code Entra uses for a replayed jti is not documented; the fake
    // refuses it within the client-assertion family.
    let Some(jti) = claims["jti"].as_str().filter(|j| !j.is_empty()) else {
        return Err(malformed());
    };
    let fresh = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .seen_jti
        .insert(format!("{}/{jti}", app.client_id));
    if !fresh {
        return Err(refuse(
            401,
            "invalid_client",
            700027,
            "Client assertion failed signature validation. [Reason - The jti has already been used.]",
        ));
    }
    Ok(())
}

pub(super) fn verify_federated(
    state: &Shared,
    app: &App,
    assertion: &str,
    claims: &Value,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let refuse = |code: u64, msg: &str| -> Refusal {
        Box::new(entra_error(400, "invalid_client", code, msg, headers))
    };
    let known = state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .federated_tokens
        .contains(assertion);
    if !known {
        return Err(refuse(
            50027,
            "JWT token is invalid or malformed. The signature of the federated token could not be validated against the issuer's keys.",
        ));
    }
    let iss = claims["iss"].as_str().unwrap_or_default();
    let sub = claims["sub"].as_str().unwrap_or_default();
    let aud = claims["aud"].as_str().unwrap_or_default();
    if claims["exp"]
        .as_i64()
        .is_none_or(|exp| exp + 300 < now() as i64)
    {
        return Err(refuse(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    let by_issuer: Vec<_> = app.federated.iter().filter(|(i, _, _)| i == iss).collect();
    if by_issuer.is_empty() {
        return Err(refuse(
            700211,
            &format!(
                "No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    let by_subject: Vec<_> = by_issuer.iter().filter(|(_, s, _)| s == sub).collect();
    if by_subject.is_empty() {
        return Err(refuse(
            700213,
            &format!(
                "No matching federated identity record found for presented assertion subject '{sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    if !by_subject.iter().any(|(_, _, a)| a == aud) {
        return Err(refuse(
            700212,
            &format!(
                "No matching federated identity record found for presented assertion audience '{aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
        ));
    }
    Ok(())
}
