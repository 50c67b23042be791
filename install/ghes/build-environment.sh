#!/usr/bin/env bash
# Builds a GitHub Enterprise Server pre-receive hook environment: a static (musl) phiguard at
# /usr/local/bin/phiguard and the configuration at /etc/phiguard/phiguard.toml, in a minimal
# Alpine root file system, as target/phiguard-ghes-environment.tar.gz.
#
#   install/ghes/build-environment.sh [CONFIG.toml] [OUT.tar.gz]
#
# Needs rustup (the musl target is added) and Docker. See install/ghes/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:?usage: build-environment.sh CONFIG.toml [OUT.tar.gz]}
out=${2:-target/phiguard-ghes-environment.tar.gz}
target=x86_64-unknown-linux-musl

rustup target add "$target"
# libgit2 is vendored and built statically; no OpenSSL is linked (phiguard opens no network).
cargo build --locked --release --target "$target"
bin="target/$target/release/phiguard"
if ldd "$bin" 2>&1 | grep -q '=>'; then
  echo "build-environment: $bin is not static" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/phiguard"
cp "$config" "$work/phiguard.toml"
cat >"$work/Dockerfile" <<'DOCKER'
FROM alpine:3.20
RUN apk add --no-cache git
COPY phiguard /usr/local/bin/phiguard
COPY phiguard.toml /etc/phiguard/phiguard.toml
DOCKER
docker build -q -t phiguard-ghes-environment "$work" >/dev/null
cid=$(docker create phiguard-ghes-environment /bin/true)
mkdir -p "$(dirname "$out")"
docker export "$cid" | gzip -9 >"$out"
docker rm "$cid" >/dev/null
"$bin" --version
echo "environment: $out ($(du -h "$out" | cut -f1)); upload it in Site admin -> Hooks -> Manage environments"
