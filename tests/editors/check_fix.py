"""Check the example's notes.ts after an editor applied NG101's quick fix on archiveNote.

Usage: python3 check_fix.py ORIGINAL FIXED   (exit 0 and "check: OK" when fixed)
"""

import difflib
import pathlib
import re
import sys


def archive_note_body(text: str) -> str:
    m = re.search(r"^export async function archiveNote\(.*?^\}$", text, re.S | re.M)
    if not m:
        raise SystemExit("check: FAIL: archiveNote not found")
    return m.group(0)


def main() -> None:
    original = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
    fixed = pathlib.Path(sys.argv[2]).read_text(encoding="utf-8")
    diff = list(difflib.unified_diff(original.splitlines(), fixed.splitlines(), "original", "after", lineterm="", n=1))
    print("\n".join(diff) if diff else "check: the file is unchanged")
    body = archive_note_body(fixed)
    if "await verifySession()" not in body:
        raise SystemExit("check: FAIL: no `await verifySession()` inside archiveNote")
    if body.index("await verifySession()") > body.index("db.note.update"):
        raise SystemExit("check: FAIL: `await verifySession()` comes after the data access")
    if "await verifySession()" in archive_note_body(original):
        raise SystemExit("check: FAIL: the original already had the check (wrong input)")
    print("check: OK: archiveNote now calls `await verifySession()` before `db.note.update`")


if __name__ == "__main__":
    main()
