use super::*;
use crate::policy::push::{Bypass, Hook};
use crate::rules::Severity;

fn decision(reasons: Vec<Reason>) -> PushDecision {
    PushDecision {
        hook: Hook::PreReceive,
        refs: vec![RefDecision {
            refname: "refs/heads/main".to_owned(),
            old: None,
            new: Some("2222222222222222222222222222222222222222".to_owned()),
            policy: "[[policy]] #1".to_owned(),
            reasons,
        }],
        bypass: None,
        unscanned: false,
        budget_ms: 4000,
        elapsed_ms: 1,
        pusher: Some("alice".to_owned()),
        audit_log: false,
        gitlab: false,
        bypass_configured: false,
    }
}

fn human(d: &PushDecision) -> String {
    let mut out = Vec::new();
    write_human(d, super::blocking(&Report::default()), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn fail_open_says_accepted_or_refused_never_both() {
    let mut d = decision(vec![]);
    d.unscanned = true;
    let text = human(&d);
    assert!(
        text.contains("accepted unscanned") && !text.contains("reject"),
        "{text}"
    );
    let mut d = decision(vec![Reason::ProtectedDelete]);
    d.unscanned = true;
    let text = human(&d);
    assert!(
        text.contains("rejecting") && !text.contains("accepted"),
        "{text}"
    );
}

#[test]
fn bypass_says_recorded_only_with_an_audit_log() {
    let mut d = decision(vec![Reason::ProtectedDelete]);
    d.bypass = Some(Bypass {
        who: "alice".to_owned(),
        reason: "incident\x1b[2J 42".to_owned(),
        allowed: true,
    });
    let text = human(&d);
    assert!(
        text.contains("not recorded: no [server] audit_log"),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "the pusher's reason is escaped: {text}"
    );
    d.audit_log = true;
    assert!(human(&d).contains("recorded in the audit log"));
}

#[test]
fn delete_and_signing_refusals_do_not_advise_removing_values() {
    for reason in [
        Reason::ProtectedDelete,
        Reason::Signature {
            commit: "2222222222222222222222222222222222222222".to_owned(),
            tag: false,
            required: SigKind::Ssh,
            verdict: Verdict::Unsigned,
        },
    ] {
        let text = human(&decision(vec![reason]));
        assert!(
            !text.contains("rebase -i") && !text.contains("phiguard:allow"),
            "{text}"
        );
    }
    let text = human(&decision(vec![Reason::Signature {
        commit: "2222222222222222222222222222222222222222".to_owned(),
        tag: false,
        required: SigKind::Ssh,
        verdict: Verdict::Unsigned,
    }]));
    assert!(
        text.contains("222222222222: not signed")
            && text.contains("git commit --amend --no-edit -S"),
        "{text}"
    );
}

#[test]
fn the_hint_offers_inline_allows_only_where_they_count() {
    let findings = |inline_counted| Reason::Findings {
        count: 1,
        severity: Severity::Block,
        inline_counted,
    };
    assert!(human(&decision(vec![findings(false)])).contains("phiguard:allow"));
    let text = human(&decision(vec![findings(true)]));
    assert!(
        !text.contains("phiguard:allow") && text.contains("rebase -i"),
        "{text}"
    );
}

#[test]
fn the_update_hook_says_a_bypass_cannot_arrive() {
    let mut d = decision(vec![Reason::ProtectedDelete]);
    d.hook = Hook::Update;
    d.bypass_configured = true;
    assert!(human(&d).contains("cannot reach the update hook"));
}

#[test]
fn gitlab_prefixes_refusals() {
    let mut d = decision(vec![Reason::NonFastForward]);
    d.gitlab = true;
    let text = human(&d);
    assert!(
        text.lines().all(|l| l.starts_with("GL-HOOK-ERR: ")),
        "{text}"
    );
}
