//! `entra-token device-code`.

use entra_token::flow::device_code::{DeviceCode, DeviceCodeUi};
use entra_token::{Result, TokenResponse};

use super::args::DeviceCodeArgs;
use super::common::{self, Delegated, TenantRule};
use super::progress::DeviceCodePrompt;

pub fn run(args: &DeviceCodeArgs, verbose: u8) -> Result<TokenResponse> {
    let resolved = common::resolve(&args.common, TenantRule::Delegated)?;
    let key = resolved.delegated_key(None);
    let refresh = |refresh_token| {
        common::redeem_refresh_token(&args.common, &resolved, None, refresh_token, verbose)
    };
    let interactive = || {
        let flow = DeviceCode {
            authority: resolved.authority.clone(),
            client_id: resolved.client_id.clone(),
            target: resolved.target.clone(),
            claims: resolved.claims.clone(),
        };
        let transport = common::transport(&args.common, verbose)?;
        let ui = DeviceCodePrompt::new();
        let result = common::block_on_interactive(flow.run(&transport, &ui));
        if result.is_err() {
            ui.done();
        }
        result
    };
    common::cached_delegated(
        &args.common,
        &key,
        args.login_hint.as_deref(),
        Delegated {
            refresh: &refresh,
            interactive: &interactive,
        },
    )
}
