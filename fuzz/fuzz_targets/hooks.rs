//! The shell commands of `up`/`post-up` options that netvet follows (`sysctl -w`, `ip link set
//! ... mtu`, enslaving, `ip link add` over a lower device). The parser takes the option's value and its offset in the file: the
//! input is placed after a prefix so that offset is not always zero.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netvet::syntax::hooks::{self, HookAction};
use netvet_fuzz::{assert_span, source};

const PREFIX: &str = "    post-up ";

fuzz_target!(|data: &[u8]| {
    let file = source(data, "/etc/network/interfaces");
    let whole = format!("{PREFIX}{}", file.text);
    for action in hooks::parse(&file.text, PREFIX.len()) {
        let span = match &action {
            HookAction::Sysctl { span, .. }
            | HookAction::SetMtu { span, .. }
            | HookAction::Enslave { span, .. }
            | HookAction::AddLink { span, .. }
            | HookAction::BondOption { span, .. } => *span,
        };
        assert_span(&whole, span);
        assert!(
            span.start as usize >= PREFIX.len(),
            "span {span:?} before the value"
        );
        if let HookAction::Enslave { master, .. } = &action {
            let _ = hooks::device(master, "bond0");
        }
        if let HookAction::AddLink { kind, .. } = &action {
            // Every kind has a headroom below any real MTU.
            assert!(kind.headroom() < 100, "{kind:?}");
        }
    }
});
