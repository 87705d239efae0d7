"""Text from a repository, made safe to print.

File names, identifiers and string literals come from code nobody vouched for. Printed raw, an
escape sequence in a file name clears the terminal or recolours the report, a newline starts a
line that looks like nextguard's own (a forged finding, a forged `::error` workflow command), and
a bidirectional override (U+202E) makes a line read differently from what it is. So:

- ``escape_controls`` turns every such character into a visible escape (``\\x1b``, ``\\n``,
  ``\\u202e``) for text meant to be read in a terminal or a log: lossy, but nothing can steer the
  terminal and each line is one line;
- ``json_text`` writes JSON in which the same characters are ``\\uXXXX`` escapes: the data is
  exactly what it was (a consumer reads the real file name back), and the bytes on the wire hold
  nothing a terminal acts on (``json`` escapes C0 itself, but not DEL, C1 or the bidi controls).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL and C1 controls; the invisible marks and overrides that reorder a line
# (ALM, LRM, RLM, LRE…RLO, LRI…PDI); the line and paragraph separators some viewers break on.
_NOT_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Lone surrogates too: a byte of a file name that was not UTF-8 (``surrogateescape``) cannot be
# encoded for output at all.
_SURROGATES = "\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_NOT_C0}{_SURROGATES}]")
# ``json`` escapes C0 in strings itself; outside strings the only C0 are the indentation's.
_JSON_UNSAFE = re.compile(f"[{_NOT_C0}{_SURROGATES}]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    short = _SHORT.get(char)
    if short is not None:
        return short
    point = ord(char)
    if 0xDC80 <= point <= 0xDCFF:  # a byte that was not UTF-8 (``surrogateescape``): show the byte
        return f"\\x{point - 0xDC00:02x}"
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape_controls(text: str, *, keep: str = "") -> str:
    """``text`` with every control, bidi or separator character written as a visible escape, but
    those in ``keep`` (a format that encodes them its own way, as GitHub's does CR and LF)."""
    if _UNSAFE.search(text) is None:
        return text
    if not keep:
        return _UNSAFE.sub(_visible, text)
    return _UNSAFE.sub(lambda match: match.group(0) if match.group(0) in keep else _visible(match), text)


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON (UTF-8 text kept as it is, for readability) with the characters a
    terminal would act on written as ``\\uXXXX``. In JSON they can only occur inside strings, where
    the escape means the same character."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


__all__ = ["escape_controls", "json_text"]
