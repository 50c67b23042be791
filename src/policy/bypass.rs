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

/// Who is pushing, from the platform's environment: GitHub Enterprise Server
/// (`GITHUB_USER_LOGIN`), GitLab (`GL_USERNAME`), Gitea/Forgejo (`GITEA_PUSHER_NAME`),
/// Bitbucket Data Center external hooks (`BB_USER_NAME`), Gerrit (`GERRIT_USER`), else the
/// account running the hook (`USER`).
pub fn pusher(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    [
        "GITHUB_USER_LOGIN",
        "GL_USERNAME",
        "GITEA_PUSHER_NAME",
        "BB_USER_NAME",
        "GERRIT_USER",
        "USER",
    ]
    .iter()
    .find_map(|k| env(k).filter(|v| !v.is_empty()))
}

/// Whether the hook runs under GitLab (messages then carry the `GL-HOOK-ERR:` prefix GitLab
/// shows in its UI).
pub fn on_gitlab(env: impl Fn(&str) -> Option<String>) -> bool {
    env("GL_ID").is_some() || env("GL_USERNAME").is_some()
}
