"""The parse floor: discover the files nextguard analyses, read and parse each with tree-sitter, nothing else.

    python bench/parse_floor.py ROOT [--query '(call_expression) @c']

Prints one JSON object: ``{"files", "bytes", "seconds", "query", "captures"}``. ``seconds`` is the
wall time of discovery + read + parse (+ query) inside this process; whole-process time, which also
counts interpreter start-up and imports, is what ``run.py`` measures from outside.

The file set comes from ``nextguard.workspace.discovery.discover`` and the grammar from the same rule
as ``nextguard.syntax.parse`` (typescript for .ts/.mts/.cts, tsx for the rest), so the only difference
from ``nextguard check`` is everything nextguard does after the tree exists.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import tree_sitter_typescript as tst
from tree_sitter import Language, Parser, Query, QueryCursor

from nextguard.workspace.discovery import discover, find_workspace_root

DEFAULT_QUERY = "(call_expression) @c"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="a workspace (or a path inside one, as nextguard check takes)")
    parser.add_argument(
        "--query",
        nargs="?",
        const=DEFAULT_QUERY,
        default=None,
        help=f"also run one tree-sitter query over each tree (default pattern: {DEFAULT_QUERY!r})",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    typescript = Language(tst.language_typescript())
    tsx = Language(tst.language_tsx())
    ts_parser, tsx_parser = Parser(typescript), Parser(tsx)
    cursors: tuple[QueryCursor, QueryCursor] | None = None
    if args.query is not None:
        cursors = (QueryCursor(Query(typescript, args.query)), QueryCursor(Query(tsx, args.query)))

    root = find_workspace_root(args.root.resolve())
    files = discover(root).files
    total_bytes = 0
    captures = 0
    parsed = 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        total_bytes += len(data)
        is_ts = path.name.endswith((".ts", ".mts", ".cts"))
        tree = (ts_parser if is_ts else tsx_parser).parse(data)
        parsed += 1
        if cursors is not None:
            found = cursors[0 if is_ts else 1].captures(tree.root_node)
            captures += sum(len(nodes) for nodes in found.values())
    seconds = time.perf_counter() - start

    result: dict[str, object] = {"files": parsed, "bytes": total_bytes, "seconds": round(seconds, 4)}
    if args.query is not None:
        result["query"] = args.query
        result["captures"] = captures
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
