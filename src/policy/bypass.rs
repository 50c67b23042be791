//! Break-glass: `git push -o phiguard.bypass=<reason>` (the server needs
//! `receive.advertisePushOptions`), honoured only for pushers the ref's policy lists. The
//! pusher comes from the hosting platform's environment.

/// Push option key.
pub const OPTION: &str = "phiguard.bypass";

/// The bypass reason among the push options git passes (`GIT_PUSH_OPTION_COUNT`,
/// `GIT_PUSH_OPTION_<n>`), if any. An empty reason does not count.
pub fn requested(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let count: usize = env("GIT_PUSH_OPTION_COUNT")?.parse().ok()?;
    (0..count)
        .filter_map(|i| env(&format!("GIT_PUSH_OPTION_{i}")))
        .find_map(|o| {
            let reason = o.strip_prefix(OPTION)?.strip_prefix('=')?.trim().to_owned();
            (!reason.is_empty()).then_some(reason)
        })
}

/// Who is pushing, as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pusher {
    /// The login or user name.
    pub name: String,
    /// The platform's numeric or opaque user id, when it gives one (`GL_ID`, `GITEA_PUSHER_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The environment variable the name came from.
    pub source: String,
    /// Whether a hosting platform vouches for it (`false` for `$USER`: the account running
    /// the hook, which on a shared SSH account says nothing about the person).
    pub verified: bool,
}

/// Platform variables naming the pusher, in the order they are trusted, with the variable
/// holding the platform's user id: GitHub Enterprise Server (`GITHUB_USER_LOGIN`,
/// `GITHUB_USER`), GitLab (`GL_USERNAME`, `GL_ID`), Gitea/Forgejo (`GITEA_PUSHER_NAME`,
/// `GITEA_PUSHER_ID`), Bitbucket Data Center external hooks (`BB_USER_NAME`, `BB_USER_ID`),
/// Gerrit (`GERRIT_USER`).
const PLATFORMS: &[(&str, Option<&str>)] = &[
    ("GITHUB_USER_LOGIN", None),
    ("GITHUB_USER", None),
    ("GL_USERNAME", Some("GL_ID")),
    ("GITEA_PUSHER_NAME", Some("GITEA_PUSHER_ID")),
    ("BB_USER_NAME", Some("BB_USER_ID")),
    ("GERRIT_USER", None),
];

/// Who is pushing, from the platform's environment (the variables above), else the account running
/// the hook (`USER`, marked unverified). GitLab's `GL_ID` alone (a deploy key) names an
/// identity too.
pub fn identity(env: impl Fn(&str) -> Option<String>) -> Option<Pusher> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    for (name_var, id_var) in PLATFORMS {
        if let Some(name) = get(name_var) {
            return Some(Pusher {
                name,
                id: id_var.and_then(get),
                source: (*name_var).to_owned(),
                verified: true,
            });
        }
    }
    if let Some(id) = get("GL_ID") {
        return Some(Pusher {
            name: id.clone(),
            id: Some(id),
            source: "GL_ID".to_owned(),
            verified: true,
        });
    }
    get("USER").map(|name| Pusher {
        name,
        id: None,
        source: "USER".to_owned(),
        verified: false,
    })
}

/// The pusher's name ([`identity`]): what a policy's `bypass` list is matched against.
pub fn pusher(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    identity(env).map(|p| p.name)
}

/// Whether the hook runs under GitLab (messages then carry the `GL-HOOK-ERR:` prefix GitLab
/// shows in its UI).
pub fn on_gitlab(env: impl Fn(&str) -> Option<String>) -> bool {
    env("GL_ID").is_some() || env("GL_USERNAME").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn identity_prefers_the_platform_and_marks_user_unverified() {
        let p = identity(env(&[
            ("USER", "git"),
            ("GL_USERNAME", "alice"),
            ("GL_ID", "user-7"),
        ]))
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.id.as_deref(), p.verified),
            ("alice", Some("user-7"), true)
        );
        let p = identity(env(&[("USER", "git"), ("GITHUB_USER", "bob")])).unwrap();
        assert_eq!((p.name.as_str(), p.source.as_str()), ("bob", "GITHUB_USER"));
        let p = identity(env(&[("USER", "git"), ("GL_USERNAME", "")])).unwrap();
        assert_eq!((p.name.as_str(), p.verified), ("git", false));
        let p = identity(env(&[("GL_ID", "key-3")])).unwrap();
        assert_eq!((p.name.as_str(), p.source.as_str()), ("key-3", "GL_ID"));
        assert!(identity(env(&[])).is_none());
    }
}
