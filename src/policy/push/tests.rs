use super::*;

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";

fn update(refname: &str, old: Option<&str>, new: Option<&str>) -> RefUpdate {
    RefUpdate {
        refname: refname.to_owned(),
        old: old.map(|h| Oid::from_str(h).unwrap()),
        new: new.map(|h| Oid::from_str(h).unwrap()),
    }
}

/// Findings as `(commit, severity, allowed inline)`.
struct Scan(Vec<(&'static str, Severity, bool)>);

impl ScanResult for Scan {
    fn count(&self, brings: &HashSet<String>, min: Severity, with_inline: bool) -> usize {
        self.0
            .iter()
            .filter(|(c, s, inline)| brings.contains(*c) && *s >= min && (with_inline || !inline))
            .count()
    }
}

fn commit(id: &str, trailers: &[(&str, &str)], signature: Option<Verdict>) -> ObjectFacts {
    ObjectFacts {
        id: id.to_owned(),
        tag: false,
        author: Person {
            name: "Ann Author".to_owned(),
            email: "ann@example.com".to_owned(),
        },
        trailers: trailers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        signature,
    }
}

fn judged(
    u: &RefUpdate,
    p: &RefPolicy,
    report: &Scan,
    objects: Vec<ObjectFacts>,
    ff: Option<bool>,
) -> Vec<Reason> {
    let brings: HashSet<String> = [B.to_owned()].into();
    let facts = RefFacts {
        update: u,
        policy: p,
        brings: &brings,
        fast_forward: ff,
        objects,
    };
    judge(&facts, report, Some("alice")).reasons
}

#[test]
fn findings_count_at_the_policy_severity_and_inline_only_when_off() {
    let u = update("refs/heads/main", Some(A), Some(B));
    let report = Scan(vec![
        (B, Severity::Warn, false),
        (A, Severity::Block, false),
        (B, Severity::Block, true),
    ]);
    assert!(
        judged(&u, &RefPolicy::default(), &report, vec![], None).is_empty(),
        "warn does not block; A is not brought"
    );
    let warn = RefPolicy {
        block_severity: Severity::Warn,
        ..RefPolicy::default()
    };
    assert_eq!(
        judged(&u, &warn, &report, vec![], None),
        vec![Reason::Findings {
            count: 1,
            severity: Severity::Warn,
            inline_counted: false
        }]
    );
    let strict = RefPolicy {
        allow_inline: false,
        ..RefPolicy::default()
    };
    assert_eq!(
        judged(&u, &strict, &report, vec![], None),
        vec![Reason::Findings {
            count: 1,
            severity: Severity::Block,
            inline_counted: true
        }]
    );
}

#[test]
fn delete_and_non_fast_forward_only_when_denied() {
    let del = update("refs/heads/main", Some(A), None);
    let report = Scan(vec![]);
    assert!(judged(&del, &RefPolicy::default(), &report, vec![], None).is_empty());
    let p = RefPolicy {
        deny_delete: true,
        deny_non_fast_forward: true,
        ..RefPolicy::default()
    };
    assert_eq!(
        judged(&del, &p, &report, vec![], None),
        vec![Reason::ProtectedDelete]
    );
    let forced = update("refs/heads/main", Some(A), Some(B));
    assert_eq!(
        judged(&forced, &p, &report, vec![], Some(false)),
        vec![Reason::NonFastForward]
    );
    assert!(judged(&forced, &p, &report, vec![], Some(true)).is_empty());
}

#[test]
fn signatures_must_be_good_and_of_the_required_kind() {
    let u = update("refs/heads/main", Some(A), Some(B));
    let good_ssh = Verdict::Good {
        kind: SigKind::Ssh,
        principal: "ann@example.com".to_owned(),
        fingerprint: "SHA256:x".to_owned(),
    };
    for (required, verdict, ok) in [
        (SigKind::Ssh, good_ssh.clone(), true),
        (SigKind::Any, good_ssh.clone(), true),
        (SigKind::Gpg, good_ssh.clone(), false),
        (SigKind::Any, Verdict::Unsigned, false),
        (
            SigKind::Ssh,
            Verdict::WrongNamespace {
                namespace: "file".to_owned(),
            },
            false,
        ),
    ] {
        let p = RefPolicy {
            require_signed: Some(required),
            ..RefPolicy::default()
        };
        let reasons = judged(
            &u,
            &p,
            &Scan(vec![]),
            vec![commit(B, &[], Some(verdict.clone()))],
            None,
        );
        assert_eq!(
            reasons.is_empty(),
            ok,
            "{required:?} {verdict:?}: {reasons:?}"
        );
    }
}

#[test]
fn trailers_must_name_someone_other_than_the_author() {
    let key = "Reviewed-by";
    for (trailers, want) in [
        (vec![], Some(false)),
        (
            vec![("Reviewed-by", "Ann Author <ann@example.com>")],
            Some(true),
        ),
        (vec![("reviewed-by", "ANN@example.com")], Some(true)),
        (vec![("Reviewed-by", "Ann Author")], Some(true)),
        (
            vec![("Reviewed-by", "Bob Reviewer <bob@example.com>")],
            None,
        ),
        (
            vec![
                ("Reviewed-by", "Ann Author <ann@example.com>"),
                ("Reviewed-by", "Bob <bob@example.com>"),
            ],
            None,
        ),
        (
            vec![("Signed-off-by", "Bob <bob@example.com>")],
            Some(false),
        ),
    ] {
        let o = commit(B, &trailers, None);
        assert_eq!(trailer_problem(&o, key), want, "{trailers:?}");
    }
}

#[test]
fn trailers_parse_like_git() {
    let msg = b"subject\n\nbody text\n\nReviewed-by: Bob <bob@example.com>\nSigned-off-by: Ann <ann@example.com>\n";
    assert_eq!(
        trailers(msg),
        vec![
            ("Reviewed-by".to_owned(), "Bob <bob@example.com>".to_owned()),
            (
                "Signed-off-by".to_owned(),
                "Ann <ann@example.com>".to_owned()
            )
        ]
    );
    assert!(trailers(b"subject only\n").is_empty());
}

#[test]
fn pushers_outside_the_list_are_refused() {
    let u = update("refs/heads/main", Some(A), Some(B));
    let p = RefPolicy {
        allowed_pushers: vec!["bob".to_owned()],
        ..RefPolicy::default()
    };
    assert_eq!(
        judged(&u, &p, &Scan(vec![]), vec![], None),
        vec![Reason::PusherNotAllowed {
            who: Some("alice".to_owned())
        }]
    );
}

fn refused(name: &str) -> RefDecision {
    RefDecision {
        refname: name.to_owned(),
        old: None,
        new: Some(B.to_owned()),
        policy: "[[policy]] #1".to_owned(),
        reasons: vec![Reason::ProtectedDelete],
    }
}

#[test]
fn bypass_is_allowed_only_when_every_refused_ref_lists_the_pusher() {
    let listed = RefPolicy {
        bypass: vec!["alice".to_owned()],
        ..RefPolicy::default()
    };
    let other = RefPolicy::default();
    let ctx = PushContext {
        bypass_requested: Some("incident 42".to_owned()),
        pusher: Some("alice".to_owned()),
        ..PushContext::default()
    };
    let d = decide(
        Hook::PreReceive,
        vec![refused("a")],
        &[&listed],
        ctx.clone(),
    );
    assert!(d.accepted() && d.bypass.as_ref().unwrap().allowed);
    let d = decide(
        Hook::PreReceive,
        vec![refused("a"), refused("b")],
        &[&listed, &other],
        ctx.clone(),
    );
    assert!(!d.accepted() && !d.bypass.as_ref().unwrap().allowed);
    let mut clean = refused("a");
    clean.reasons.clear();
    let d = decide(Hook::PreReceive, vec![clean], &[&listed], ctx);
    assert!(d.accepted() && d.bypass.is_none(), "nothing to bypass");
    let d = decide(
        Hook::Update,
        vec![refused("a")],
        &[&listed],
        PushContext::default(),
    );
    assert!(!d.accepted() && d.bypass_configured);
}
