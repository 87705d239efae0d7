#!/usr/bin/env bash
# Neovim 0.11+ headless end-to-end test with the shipped clients/neovim/nextguard.lua.
# Usage: ./run.sh [nvim]   (default: $NG_EDITORS/nvim/bin/nvim from tests/editors/install.sh)
set -euo pipefail
source "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
NVIM=${1:-$NG_EDITORS/nvim/bin/nvim}
make_work neovim
trap cleanup_work EXIT
export NEXTGUARD_CLIENT_CONFIG="$REPO/clients/neovim/nextguard.lua" RESULT_FILE="$WORK/result.txt"
export TMPDIR="$WORK/tmp" XDG_STATE_HOME="$WORK/state" XDG_CACHE_HOME="$WORK/cache" \
       XDG_DATA_HOME="$WORK/data" XDG_CONFIG_HOME="$WORK/config"     # lsp.log goes to $XDG_STATE_HOME/nvim
cd "$APP"
start=$SECONDS
rc=0
timeout 120 "$NVIM" --headless -u "$EDITORS_DIR/neovim/init.lua" -i NONE "$REL_FILE" \
  -c "luafile $EDITORS_DIR/neovim/test.lua" || rc=$?
cat "$WORK/result.txt" 2>/dev/null || echo "no result file"
if [ $rc -eq 0 ]; then check_fixed || rc=1; fi
if [ $rc -ne 0 ]; then
  show_server_log
  echo "--- lsp.log (tail):"; tail -20 "$WORK/state/nvim/lsp.log" 2>/dev/null || true
fi
echo "elapsed: $(( SECONDS - start ))s, nvim exit code: $rc"
[ $rc -eq 0 ] && echo "RESULT: PASS" || echo "RESULT: FAIL"
exit $rc
