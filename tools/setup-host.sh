#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the host needs to build the test kernel, the module and
# the guest programs, and to run the VM. Idempotent: each step checks first.
set -euo pipefail

BINDGEN_VERSION=0.73.2
SOURCES=/etc/apt/sources.list.d/move-pages-backports.sources
STAMP_DIR=${MP_CACHE:-$HOME/.cache/move_pages}
mkdir -p "$STAMP_DIR"
top=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '[setup] %s\n' "$*"; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ ! -f "$SOURCES" ]; then
	say "adding trixie-backports and bookworm-backports apt sources"
	$SUDO tee "$SOURCES" >/dev/null <<'SRC'
# linux-source-7.3 (trixie-backports), qemu-system-x86 and qemu-system-arm
# (bookworm-backports).
# Only the backports suites: backports are never installed by default.
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie-backports bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	rm -f "$STAMP_DIR/apt-updated"
fi

# The arm64 guest's C programs (64-bit, and 32-bit for the compat entry) are
# cross-built with clang-19 and lld-19 on the cross C libraries: Debian's
# cross gcc packages conflict with gcc-multilib, which the x86_64 guest's
# 32-bit programs need.
PKGS_MAIN="bc bison flex libelf-dev libssl-dev cpio kmod busybox-static
	libclang1-19 libclang-19-dev clang-19 lld-19 llvm-19 xz-utils gcc make python3 perl
	libnuma-dev numactl gcc-multilib python3-matplotlib dkms rsync
	libc6-dev-arm64-cross libgcc-12-dev-arm64-cross libc6-dev-armhf-cross libgcc-12-dev-armhf-cross"
PKGS_BPO13="linux-source-7.3"
PKGS_BPO12="qemu-system-x86 qemu-system-arm"

missing=
for p in $PKGS_MAIN $PKGS_BPO13 $PKGS_BPO12; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ ! -f "$STAMP_DIR/apt-updated" ] ||
	   [ -n "$(find "$STAMP_DIR/apt-updated" -mmin +720)" ]; then
		$SUDO apt-get update -qq
		touch "$STAMP_DIR/apt-updated"
	fi
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $PKGS_MAIN
	$SUDO apt-get install -y -qq --no-install-recommends -t trixie-backports $PKGS_BPO13
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports $PKGS_BPO12
fi

# Newest linux-source-7.3 available, and say when it is not the one pinned.
PINNED=7.3.4-1~bpo13+1
have=$(dpkg-query -W -f='${Version}' linux-source-7.3)
if [ "$have" != "$PINNED" ]; then
	say "note: linux-source-7.3 is $have (pinned: $PINNED); using it"
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
	say "rustup component add rust-src"
	rustup component add rust-src
fi
# The arm64 guest's Rust programs (tools/build.sh guest with MP_ARCH=arm64).
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
	say "rustup target add aarch64-unknown-linux-gnu"
	rustup target add aarch64-unknown-linux-gnu
fi

# The arm64 guest's userland that has no cross package: busybox, numactl's
# migratepages and libnuma (the kernel's migration selftest links it), as
# Debian builds them for arm64, unpacked into the cache (nothing installed).
ARM64_DEBS="busybox-static libnuma-dev libnuma1 numactl"
ARM64_ROOT=$STAMP_DIR/arm64-root
if [ ! -f "$ARM64_ROOT/.unpacked" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		say "dpkg --add-architecture arm64 (package lists only; nothing of it is installed)"
		$SUDO dpkg --add-architecture arm64
		$SUDO apt-get update -qq
	fi
	say "fetching the arm64 guest userland: $ARM64_DEBS"
	rm -rf "$ARM64_ROOT" "$ARM64_ROOT.debs"
	mkdir -p "$ARM64_ROOT.debs"
	(cd "$ARM64_ROOT.debs" && apt-get download -qq -o APT::Sandbox::User=root $(printf '%s:arm64 ' $ARM64_DEBS))
	for deb in "$ARM64_ROOT.debs"/*.deb; do
		dpkg-deb -x "$deb" "$ARM64_ROOT"
	done
	rm -rf "$ARM64_ROOT.debs"
	touch "$ARM64_ROOT/.unpacked"
fi

if ! command -v bindgen >/dev/null || ! bindgen --version | grep -q " $BINDGEN_VERSION\$"; then
	say "cargo install bindgen-cli $BINDGEN_VERSION"
	cargo install --locked --version "$BINDGEN_VERSION" bindgen-cli
fi
# The user-space crates' dependencies, at the versions of their Cargo.lock
# (every build passes --locked), into ~/.cargo/registry.
for manifest in tools/move-pages tools/move-pages-cli samples/rust; do
	cargo fetch -q --locked --manifest-path "$top/$manifest/Cargo.toml"
done
say "host ready"
