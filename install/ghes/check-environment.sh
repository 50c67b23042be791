#!/usr/bin/env bash
# Checks a GitHub Enterprise Server pre-receive hook environment the way GHES runs it: the
# tarball unpacked into a folder, the hook script run by `chroot` into that folder, the
# repository and git's quarantine visible inside it. The hook script is the one the
# environment's own phiguard writes (`phiguard install --server --platform ghes`). Real pushes
# to a bare repository: a commit adding a synthetic SSN must be refused, naming `phi.ssn` and
# the file and line but never the value; a clean one must be accepted.
#
#   install/ghes/check-environment.sh [ENV.tar.gz]    (default target/phiguard-ghes-environment.tar.gz)
#
# Needs root (chroot) and git. Exit 0: the environment works; 1: a check failed; 2: cannot run.
set -euo pipefail
tarball=$(realpath "${1:-target/phiguard-ghes-environment.tar.gz}")

fail() {
  echo "check-environment: $*" >&2
  exit "${code:-1}"
}
code=2
[ "$(id -u)" = 0 ] || fail "chroot needs root"
[ -f "$tarball" ] || fail "$tarball: no such environment (build one first)"
command -v git >/dev/null || fail "git is missing"

work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT # never into a mount left behind
root=$work/env
mkdir "$root"
tar -C "$root" -xzf "$tarball"
[ -x "$root/usr/local/bin/phiguard" ] || fail "no /usr/local/bin/phiguard in the environment"
[ -f "$root/etc/phiguard/phiguard.toml" ] || fail "no /etc/phiguard/phiguard.toml in the environment"
mkdir -p "$root/data/hook"
chroot "$root" /usr/local/bin/phiguard install --server --platform ghes --git-dir /data/hook \
  >/dev/null || fail "the environment's phiguard cannot write the hook script"
rm "$root/data/hook/phiguard.toml" # the hook reads /etc/phiguard/phiguard.toml, as on GHES

# The server's repository, inside the environment; its pre-receive enters the chroot as GHES
# does, with git's paths (quarantine of the pushed objects included) as seen from inside.
export HOME=$work GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=check GIT_AUTHOR_EMAIL=check@example.com
export GIT_COMMITTER_NAME=check GIT_COMMITTER_EMAIL=check@example.com
repo=$root/data/repositories/check.git
git init -q --bare -b main "$repo"
cat >"$repo/hooks/pre-receive" <<HOOK
#!/bin/sh
inside() { printf '%s' "\$1" | sed "s|$root||g"; }
exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \\
  GIT_DIR=/data/repositories/check.git \\
  GIT_OBJECT_DIRECTORY="\$(inside "\${GIT_OBJECT_DIRECTORY:-}")" \\
  GIT_ALTERNATE_OBJECT_DIRECTORIES="\$(inside "\${GIT_ALTERNATE_OBJECT_DIRECTORIES:-}")" \\
  GIT_QUARANTINE_PATH="\$(inside "\${GIT_QUARANTINE_PATH:-}")" \\
  GITHUB_USER_LOGIN=check GITHUB_REPO_NAME=example/check GITHUB_VIA="git push" \\
  /bin/sh /data/hook/phiguard-pre-receive.sh "\$@"
HOOK
chmod +x "$repo/hooks/pre-receive"

clone=$work/clone
git init -q -b main "$clone"
cd "$clone"
echo ok >ok.txt
git add ok.txt && git commit -qm ok
code=1
git push -q "$repo" main >"$work/clean.out" 2>&1 || { cat "$work/clean.out" >&2; fail "a clean push was refused"; }
value=$(printf '%s-%s-%s' 536 90 4399) # a synthetic SSN, built here so this file holds none
printf 'ssn %s\n' "$value" >t.txt
git add t.txt && git commit -qm t
start=$(date +%s%N)
if git push "$repo" main >"$work/refused.out" 2>&1; then
  cat "$work/refused.out" >&2
  fail "a push adding an SSN was accepted"
fi
ms=$((($(date +%s%N) - start) / 1000000))
grep -qF "$value" "$work/refused.out" && fail "the refusal prints the value"
grep -q 'phi.ssn' "$work/refused.out" && grep -q 't.txt:1' "$work/refused.out" ||
  { cat "$work/refused.out" >&2; fail "the refusal does not name phi.ssn at t.txt:1"; }
[ "$(git --git-dir="$repo" rev-parse main)" = "$(git rev-parse main~1)" ] ||
  fail "the refused commit reached the repository"
sed -n 's/^remote: *//p' "$work/refused.out" | sed 's/[[:space:]]*$//' | grep -E 'phi.ssn|phiguard:' | head -3
echo "ok: $(basename "$tarball") ($(du -h "$tarball" | cut -f1)): clean push accepted, SSN push refused in $ms ms, value never printed"
