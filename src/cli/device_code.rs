//! `entra-token device-code`.

use anyhow::Result;
use entra_token::TokenResponse;
use entra_token::flow::device_code::{self, DeviceCodeUi};

use super::args::DeviceCodeArgs;
use super::options::{self, TenantRule, block_on_interactive};
use super::progress::DeviceCodePrompt;

pub fn run(args: &DeviceCodeArgs, verbose: u8) -> Result<TokenResponse> {
    let call = options::invocation(&args.common, TenantRule::Delegated, verbose)?;
    let target = &call.target;
    let sign_in = |app: &entra_token::App| {
        let client = app.client()?;
        let transport = app.transport()?;
        let ui = DeviceCodePrompt::new();
        let result = block_on_interactive(device_code::run(transport, &client, target, &ui));
        if result.is_err() {
            ui.done();
        }
        result
    };
    Ok(call
        .app
        .delegated_token(target, args.login_hint.as_deref(), &sign_in)?)
}
