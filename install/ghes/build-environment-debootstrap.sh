#!/usr/bin/env bash
# Builds a GitHub Enterprise Server pre-receive hook environment without Docker or a musl
# target: a minimal Debian root file system made by debootstrap, phiguard's release binary at
# /usr/local/bin/phiguard and the configuration at /etc/phiguard/phiguard.toml, tarred as GHES
# expects (`tar -C env -czf OUT .`) into target/phiguard-ghes-environment.tar.gz.
#
#   install/ghes/build-environment-debootstrap.sh CONFIG.toml [OUT.tar.gz]
#
# Needs root (debootstrap, chroot), the `debootstrap` package and a Debian mirror. The binary
# is linked against glibc, so the environment's Debian release must be the build machine's
# (the default, from /etc/os-release) or a newer one. Environment:
#   PHIGUARD_BIN            a phiguard already built (default: cargo build --locked --release)
#   PHIGUARD_DEBIAN_SUITE   the release to bootstrap (default: this machine's VERSION_CODENAME)
#   PHIGUARD_DEBIAN_MIRROR  default http://deb.debian.org/debian
# Then check it as GHES runs it: install/ghes/check-environment.sh OUT.tar.gz
# The Docker + static musl build is install/ghes/build-environment.sh. See install/ghes/README.md.
set -euo pipefail
config=$(realpath "${1:?usage: build-environment-debootstrap.sh CONFIG.toml [OUT.tar.gz]}")
out=$(realpath -m "${2:-target/phiguard-ghes-environment.tar.gz}")
cd "$(dirname "$0")/../.."

fail() {
  echo "build-environment: $*" >&2
  exit 2
}
[ "$(id -u)" = 0 ] || fail "debootstrap and chroot need root"
command -v debootstrap >/dev/null || fail "debootstrap is missing (apt-get install debootstrap)"
suite=${PHIGUARD_DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
[ -n "$suite" ] || fail "no Debian release found in /etc/os-release; set PHIGUARD_DEBIAN_SUITE"
mirror=${PHIGUARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -n "${PHIGUARD_BIN:-}" ]; then
  bin=$(realpath "$PHIGUARD_BIN")
else
  cargo build --locked --release
  bin=$PWD/target/release/phiguard
fi

work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT # never into a mount left behind
root=$work/env
echo "build-environment: debootstrap --variant=minbase $suite ($mirror)"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
install -D -m 0755 "$bin" "$root/usr/local/bin/phiguard"
# The release profile keeps line tables (41 MB); the environment needs only the code (9 MB).
if command -v strip >/dev/null; then strip --strip-debug "$root/usr/local/bin/phiguard"; fi
install -D -m 0644 "$config" "$root/etc/phiguard/phiguard.toml"
# The binary must start with the environment's own libraries, and read the configuration.
chroot "$root" /usr/local/bin/phiguard --version >/dev/null ||
  fail "phiguard does not run inside the environment (a glibc older than the build machine's?)"
# What a hook never uses: the package cache and lists, documentation, translations.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
mkdir -p "$(dirname "$out")"
tar -C "$root" -czf "$out" .
echo "environment: $out ($(du -h "$out" | cut -f1); $(du -sh "$root" | cut -f1) unpacked, Debian $suite)"
echo "check it: install/ghes/check-environment.sh $out"
