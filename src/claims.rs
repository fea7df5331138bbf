//! The claims challenge (CAE): `--claims` takes the JSON object, or its base64 as found in
//! a `WWW-Authenticate: Bearer … claims="…"` header.

use base64::Engine;

/// The challenge as JSON text: the input when it is a JSON object, else its base64
/// (standard or URL-safe, padded or not) decoded when that is a JSON object; `None`
/// otherwise.
pub fn challenge_json(input: &str) -> Option<String> {
    let input = input.trim();
    if is_object(input) {
        return Some(input.to_owned());
    }
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    engines.iter().find_map(|engine| {
        let text = String::from_utf8(engine.decode(input).ok()?).ok()?;
        is_object(&text).then_some(text)
    })
}

fn is_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn claims_accept_json_and_base64_json() {
        let json = r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#;
        assert_eq!(challenge_json(json).unwrap(), json);
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        assert_eq!(challenge_json(&b64).unwrap(), json);
        assert!(challenge_json("not json").is_none());
        assert!(challenge_json("[1]").is_none());
    }

    proptest! {
        #[test]
        fn any_input_is_either_refused_or_a_json_object(input in ".{0,300}") {
            if let Some(text) = challenge_json(&input) {
                prop_assert!(is_object(&text));
            }
        }

        #[test]
        fn every_encoding_of_an_object_comes_back_as_it_was(
            key in "[a-z_]{1,12}", value in "[ -~]{0,40}"
        ) {
            let json = serde_json::json!({ key: { "essential": true, "value": value } }).to_string();
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ] {
                prop_assert_eq!(challenge_json(&engine.encode(&json)), Some(json.clone()));
            }
            prop_assert_eq!(challenge_json(&json), Some(json.clone()));
        }
    }
}
