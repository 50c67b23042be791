#!/usr/bin/env bash
# Signature verification cost per commit on a 1,000-commit push, SSH and GPG.
#
#   bench/signing.sh [N]        # N commits (default 1000)
#
# Makes two clones of N signed commits each (ssh-keygen and gpg keys made here), then times
# `phiguard hook pre-receive` on the push of all N commits to an empty server, with the policy
# requiring signatures and without it (same scan); the difference over N is the cost per
# commit. Uses $PHIGUARD, else target/release/phiguard, else target/debug/phiguard.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-1000}"
PG="${PHIGUARD:-}"
[ -n "$PG" ] || { [ -x "$ROOT/target/release/phiguard" ] && PG="$ROOT/target/release/phiguard"; } || PG="$ROOT/target/debug/phiguard"
TMP="$(mktemp -d)"
trap 'gpgconf --homedir "$TMP/gnupg" --kill gpg-agent 2>/dev/null || true; rm -rf "$TMP"' EXIT
export HOME="$TMP" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com GNUPGHOME="$TMP/gnupg"

ssh-keygen -q -t ed25519 -N '' -C bench -f "$TMP/key"
mkdir -m 700 "$TMP/gnupg"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench <bench@example.com>' ed25519 sign never 2>/dev/null
FPR="$(gpg --with-colons --list-keys bench@example.com | awk -F: '/^fpr/ {print $10; exit}')"

make_repo() { # dir format key
  git init -q -b main "$1"
  git -C "$1" config gpg.format "$2"
  git -C "$1" config user.signingkey "$3"
  git -C "$1" config commit.gpgsign true
  for i in $(seq 1 "$N"); do
    echo "line $i" >>"$1/file.txt"
    git -C "$1" add file.txt
    git -C "$1" commit -q --no-verify -m "commit $i"
  done
}

time_hook() { # bare tip config -> best of 3, in ms
  local bare="$1" tip="$2" best=""
  printf '%s' "$3" >"$bare/phiguard.toml"
  for _ in 1 2 3; do
    local t0 t1 ms
    t0=$(date +%s%N)
    echo "0000000000000000000000000000000000000000 $tip refs/heads/main" |
      GIT_DIR="$bare" "$PG" hook pre-receive >/dev/null || { echo "hook refused: $3" >&2; exit 1; }
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

printf 'bench@example.com %s\n' "$(cat "$TMP/key.pub")" >"$TMP/allowed_signers"
for kind in ssh gpg; do
  key="$TMP/key"; fmt=ssh
  [ "$kind" = gpg ] && { key="$FPR"; fmt=openpgp; }
  make_repo "$TMP/$kind" "$fmt" "$key"
  git init -q --bare "$TMP/$kind.git"
  # The objects, without a ref the hook would count as existing.
  git -C "$TMP/$kind" push -q "$TMP/$kind.git" main:refs/heads/incoming
  git --git-dir="$TMP/$kind.git" update-ref -d refs/heads/incoming
  tip="$(git -C "$TMP/$kind" rev-parse HEAD)"
  plain=$(time_hook "$TMP/$kind.git" "$tip" $'[server]\nbudget_ms = 600000\n[[policy]]\nrefs = ["refs/heads/elsewhere"]\n')
  home=""
  [ "$kind" = gpg ] && home="gpg_home = \"$TMP/gnupg\""
  signed=$(time_hook "$TMP/$kind.git" "$tip" "[server]
budget_ms = 600000
[[policy]]
refs = [\"refs/heads/main\"]
require_signed = \"$kind\"
allowed_signers = \"$TMP/allowed_signers\"
$home
")
  awk -v k="$kind" -v n="$N" -v p="$plain" -v s="$signed" 'BEGIN {
    printf "%s: %d commits, hook %d ms without signing policy, %d ms with: %.3f ms per commit\n", k, n, p, s, (s - p) / n }'
done
