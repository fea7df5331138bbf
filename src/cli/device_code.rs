//! `entra-token device-code`.

use entra_token::flow::device_code::DeviceCode;
use entra_token::{Result, TokenResponse};

use super::args::DeviceCodeArgs;
use super::common::{self, TenantRule};
use super::progress::DeviceCodePrompt;

pub fn run(args: &DeviceCodeArgs, verbose: bool) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::Delegated)?;
    let flow = DeviceCode {
        authority: resolved.authority,
        client_id: resolved.client_id,
        target: resolved.target,
        claims: resolved.claims,
    };
    let transport = common::transport(&args.common, verbose)?;
    let ui = DeviceCodePrompt::new();
    let result = common::block_on_interactive(flow.run(&transport, &ui));
    if result.is_err() {
        entra_token::flow::device_code::DeviceCodeUi::done(&ui);
    }
    result
}
