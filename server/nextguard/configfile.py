"""Reading the configuration files a workspace carries: package.json, nextguard.json,
tsconfig/jsconfig (JSON with comments), pnpm-workspace.yaml.

They come with the code, so they are as untrusted as the code: a FIFO named ``package.json``
would block a plain ``open`` for ever, a file of 100,000 nested brackets makes every recursive
parser raise ``RecursionError``, and the pure-Python ``json5`` parser takes some 25 s over a
megabyte. So every read goes through ``safefs.read_text_bounded`` (regular files only, never
blocking, at most ``MAX_CONFIG_BYTES``), the nesting is measured before anything recursive sees
the text, and JSON with comments is turned into JSON (comments and trailing commas blanked out,
positions kept) for the C parser; ``json5`` only gets small files that only it can read.

``load_object`` raises ``ConfigFileError`` (one line: the file and why); ``read_object`` turns
that into a ``Notice`` for callers that carry on without the file. A missing file is neither.
"""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml

from .model import Notice
from .safefs import TooLarge, UnsafeFile, read_text_bounded

Syntax = Literal["json", "jsonc", "yaml"]

# Real configuration files are a few kilobytes; the largest package.json of a big monorepo is
# some 100 KB.
MAX_CONFIG_BYTES = 1_000_000
# No real configuration nests this deep (a package.json "exports" map is 4 or 5 levels); every
# parser used here recurses once or more per level, and json5 reaches Python's recursion limit
# at about 90 levels.
MAX_NESTING = 64
# json5 is pure Python (about 40 KB a second): only files this small are worth its time, and only
# when they are not JSON with comments (single quotes, unquoted keys, hexadecimal numbers).
_JSON5_MAX_BYTES = 32 * 1024

# Strings first, so that `"http://x"` is not a comment; an unterminated string or comment runs to
# the end of its line or of the text, so that every character is scanned once.
_STRING_TEXT = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?'
_STRING_OR_COMMENT = re.compile(_STRING_TEXT + r"|//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)
_STRING_OR_TRAILING_COMMA = re.compile(_STRING_TEXT + r"|,(?=\s*[\]}])")
_STRING = re.compile(_STRING_TEXT)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class ConfigFileError(Exception):
    """A configuration file that exists but cannot be used; ``str(e)`` is ``"<path>: <reason>"``."""

    def __init__(self, path: Path, reason: str) -> None:
        # One line whatever the file holds: parsers quote the character they stopped at, which
        # may be a newline or a terminal escape.
        reason = "".join(char if char.isprintable() else repr(char)[1:-1] for char in reason)
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def read_config_text(path: Path | str, limit: int = MAX_CONFIG_BYTES) -> str | None:
    """The text of the configuration file at ``path``; None when there is none (a directory of
    that name counts as none). Raises ``ConfigFileError`` for one that cannot be read: a FIFO, a
    device or a socket (never opened for reading), over ``limit`` bytes, unreadable, not UTF-8."""
    where = Path(path)
    try:
        return read_text_bounded(path, limit)
    except TooLarge as error:
        raise ConfigFileError(where, f"{error.size:,} bytes, over the {error.limit:,}-byte limit") from None
    except UnsafeFile:
        if where.is_dir():
            return None
        raise ConfigFileError(where, "not a regular file (a FIFO, a device or a socket)") from None
    except UnicodeDecodeError as error:
        raise ConfigFileError(where, f"not UTF-8 text: {error.reason} at byte {error.start}") from None
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if error.errno == errno.ENXIO:  # a socket: open(2) refuses it
            raise ConfigFileError(where, "not a regular file (a FIFO, a device or a socket)") from None
        raise ConfigFileError(where, f"cannot be read: {error.strerror or error}") from None


def parse_config(text: str, path: Path, syntax: Syntax, *, duplicate_keys: bool = True) -> object:
    """The value ``text`` holds. Raises ``ConfigFileError`` when it is not valid, or nests deeper
    than ``MAX_NESTING``. With ``duplicate_keys`` False a key given twice in one object is an
    error (JSON would silently keep the last)."""
    if syntax == "yaml":
        return _parse_yaml(text, path)
    original = text
    if syntax == "jsonc":
        text = _STRING_OR_COMMENT.sub(_blank_comment, text)
        text = _STRING_OR_TRAILING_COMMA.sub(_blank_comma, text)
    if nesting(text) > MAX_NESTING:
        raise ConfigFileError(path, f"nested more than {MAX_NESTING} levels deep")
    hook = None if duplicate_keys else _refuse_duplicates
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as error:
        detail = f"line {error.lineno} column {error.colno}: {error.msg}"
        if syntax == "jsonc" and len(original) <= _JSON5_MAX_BYTES:
            return _parse_json5(original, path, duplicate_keys, detail)
        raise ConfigFileError(path, f"not valid JSON: {detail}") from None
    except _DuplicateKey as error:
        raise ConfigFileError(path, f"not valid JSON: {error}") from None
    except RecursionError:  # only when the stack was already deep: the nesting is bounded above
        raise ConfigFileError(path, "nested too deeply to read") from None


def load_object(path: Path | str, syntax: Syntax = "json", *, duplicate_keys: bool = True) -> dict[str, Any] | None:
    """The object a configuration file holds; None when there is no such file. Raises
    ``ConfigFileError`` when the file cannot be read or parsed, or holds something else."""
    where = Path(path)
    text = read_config_text(where)
    if text is None:
        return None
    data = parse_config(text, where, syntax, duplicate_keys=duplicate_keys)
    if not isinstance(data, dict):
        kind = "YAML mapping" if syntax == "yaml" else "JSON object"
        raise ConfigFileError(where, f"expected a {kind} at the top level")
    return data


def read_object(path: Path | str, syntax: Syntax = "json") -> tuple[dict[str, Any] | None, Notice | None]:
    """``load_object`` for callers that carry on without the file: (the object, None), or (None,
    a notice saying which file was not used and why), or (None, None) when there is no file."""
    try:
        return load_object(path, syntax), None
    except ConfigFileError as error:
        return None, Notice(error.path, "config", f"{error}; ignored")


def nesting(text: str) -> int:
    """How deep the brackets of JSON text nest, strings aside; counting stops just past
    ``MAX_NESTING``, so a file of a million brackets costs no more than a shallow one."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    break
        elif depth:
            depth -= 1
    return deepest


def _blank_comment(match: re.Match[str]) -> str:
    token = match.group()
    if token.startswith('"'):
        return token
    # Blanked rather than removed, newlines kept: an error further on keeps its line and column.
    return re.sub(r"[^\n]", " ", token)


def _blank_comma(match: re.Match[str]) -> str:
    token = match.group()
    return token if token.startswith('"') else " "


class _DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_json5(text: str, path: Path, duplicate_keys: bool, json_detail: str) -> object:
    import json5  # 20 ms to import, and only needed for the rare file that is not JSON

    try:
        return json5.loads(text, allow_duplicate_keys=duplicate_keys)
    except RecursionError:
        raise ConfigFileError(path, "nested too deeply to read") from None
    except ValueError as error:
        detail = re.sub(r"^<string>:(\d+)", r"line \1:", str(error)).replace(":  ", ": ")
        # json5 says "Unexpected ..." at the first thing JSON5 does not allow either, which may
        # be later than where JSON stopped; it names duplicate keys, which JSON does not see.
        raise ConfigFileError(path, f"not valid JSON: {detail or json_detail}") from None


def _parse_yaml(text: str, path: Path) -> object:
    if nesting(text) > MAX_NESTING:  # flow style (`[[[…]]]`) nests like JSON
        raise ConfigFileError(path, f"nested more than {MAX_NESTING} levels deep")
    try:
        return yaml.safe_load(text)
    except RecursionError:  # block style nests by indentation, which the count above cannot see
        raise ConfigFileError(path, "nested too deeply to read") from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ConfigFileError(path, f"not valid YAML: {reason}") from None


__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_NESTING",
    "ConfigFileError",
    "load_object",
    "nesting",
    "parse_config",
    "read_config_text",
    "read_object",
]
