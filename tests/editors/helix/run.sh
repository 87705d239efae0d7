#!/usr/bin/env bash
# Helix end-to-end test with the shipped clients/helix/languages.toml, driven through tmux (Helix
# has no headless or scripting API): wait for NG101 on archiveNote, `space a`, pick the fix, `:w`.
# Usage: ./run.sh [hx]   (default: $NG_EDITORS/hx/hx from tests/editors/install.sh)
set -euo pipefail
source "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
HX=${1:-$NG_EDITORS/hx/hx}
make_work helix
SOCK="$WORK/tmux.sock"                 # private tmux server: never touches another tmux session
T=(tmux -S "$SOCK")
cleanup() { "${T[@]}" kill-server 2>/dev/null || true; cleanup_work; }
trap cleanup EXIT
mkdir -p "$WORK/config/helix"
cp "$REPO/clients/helix/languages.toml" "$WORK/config/helix/languages.toml"   # as shipped
cp "$EDITORS_DIR/helix/config.toml" "$WORK/config/helix/config.toml"
LINE=$(grep -n 'export async function archiveNote' "$APP/$REL_FILE" | cut -d: -f1)

screen() { "${T[@]}" capture-pane -p -t hx; }
wait_for() {  # wait_for REGEX SECONDS
  local end=$((SECONDS + $2))
  while (( SECONDS < end )); do screen | grep -qE -- "$1" && return 0; sleep 0.2; done
  echo "TIMEOUT waiting for /$1/; screen:"; screen; return 1
}
wait_gone() {  # wait_gone REGEX SECONDS
  local end=$((SECONDS + $2))
  while (( SECONDS < end )); do screen | grep -qE -- "$1" || return 0; sleep 0.2; done
  echo "TIMEOUT waiting for /$1/ to go; screen:"; screen; return 1
}
start=$SECONDS
"${T[@]}" new-session -d -s hx -x 200 -y 50 -c "$APP" \
  "env XDG_CONFIG_HOME=$WORK/config XDG_CACHE_HOME=$WORK/cache XDG_DATA_HOME=$WORK/data PATH=$PATH $HX -v --log $WORK/helix.log $REL_FILE:$LINE"
rc=0
{
  wait_for 'Server Action `archiveNote`' 60                  # the inline NG101 message
  screen > "$ARTIFACTS/helix-diagnostic.txt"
  echo "--- screen with the diagnostic:"; grep -n -B1 -A2 'Server Action `archiveNote`' "$ARTIFACTS/helix-diagnostic.txt" | head -8
  # Helix asks for the actions of the selection: put the cursor on the diagnostic (`]d`, next
  # diagnostic, from the start of its line), then `space a`. A request sent while the server is
  # still indexing may get only the suppressions: close the menu and ask again, as a user would.
  "${T[@]}" send-keys -t hx ']' 'd'
  MENU='insert `await verifySession\(\)`'
  for try in $(seq 10); do
    "${T[@]}" send-keys -t hx Space 'a'
    if wait_for 'Suppress NG101' 15 >/dev/null; then
      sleep 0.3                                              # let the menu settle (several servers answer)
      screen | grep -qE -- "$MENU" && break
    fi
    echo "(try $try: the fix is not in the menu yet)"
    "${T[@]}" send-keys -t hx Escape; sleep 1
  done
  wait_for "$MENU" 1
  screen > "$ARTIFACTS/helix-code-actions.txt"
  echo "--- code action menu:"; grep -E 'verifySession|Suppress|nextguard' "$ARTIFACTS/helix-code-actions.txt" || true
  # The menu lists every server's actions, preferred quick fixes first. Move to ours if needed.
  n=$(python3 - "$ARTIFACTS/helix-code-actions.txt" <<'PY'
import re, sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
# menu rows hold an action title (the menu is drawn over the buffer, so match titles anywhere in a row)
items = [i for i, r in enumerate(rows) if re.search(r"insert `await verifySession\(\)`|(Suppress|Ignore|Disable) NG[0-9]{3}", r)]
ours = [i for i in items if "verifySession" in rows[i]]
print(items.index(ours[0]) if ours else 0)
PY
)
  for _ in $(seq "$n"); do "${T[@]}" send-keys -t hx Down; done
  "${T[@]}" send-keys -t hx Enter                            # apply it
  wait_for "^.? *$((LINE + 1)) .*await verifySession\\(\\)" 15  # the guard is in the buffer
  "${T[@]}" send-keys -t hx ':w' Enter
  for _ in $(seq 50); do grep -q 'await verifySession()' <(sed -n "$LINE,$((LINE + 3))p" "$APP/$REL_FILE") && break; sleep 0.1; done
  wait_gone 'Server Action `archiveNote`' 30                 # the server re-published without it
  screen > "$ARTIFACTS/helix-after-fix.txt"
  echo "--- screen after the fix:"; sed -n "1,3p" "$ARTIFACTS/helix-after-fix.txt"
  "${T[@]}" send-keys -t hx ':q!' Enter
  for _ in $(seq 50); do "${T[@]}" has-session -t hx 2>/dev/null || break; sleep 0.1; done
} || rc=$?
if [ $rc -eq 0 ]; then check_fixed || rc=1; fi
if [ $rc -ne 0 ]; then
  show_server_log
  echo "--- helix.log (nextguard lines, tail):"; grep -i -E 'nextguard|error' "$WORK/helix.log" 2>/dev/null | tail -20 || true
fi
echo "elapsed: $(( SECONDS - start ))s"
[ $rc -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit $rc
