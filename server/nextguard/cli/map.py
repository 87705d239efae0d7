"""`nextguard map`: every Server Action and route handler of a workspace and how each is protected,
as a terminal table, JSON (`schemas/map.schema.json`), Markdown for a pull-request comment, or one
self-contained HTML page (rendered by ``render.map``). An inventory, not a check: it exits 0
whatever it finds (2 on an error)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ..engine import endpoints, load_analysis, summary_line
from ..render.map import UNLIMITED_WIDTH, render_html, render_json, render_markdown, render_table
from ..render.text import escape_controls
from ..safefs import UnsafeFile, write_atomic
from .pipes import reader_may_leave


def run_map(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        print(f"nextguard: error: no such file or directory: {escape_controls(str(path))}", file=sys.stderr)
        return 2
    analysis, notices = load_analysis(path)
    for notice in notices:
        print(f"nextguard: {_display(notice.path)}: {escape_controls(notice.message)}", file=sys.stderr)
    root = analysis.index.root
    scope = path.absolute().resolve()
    infos = endpoints(analysis, None if scope == root else [scope])
    to_file = args.output is not None
    if args.format == "json":
        text = render_json(infos)
    elif args.format == "markdown":
        text = render_markdown(infos)
    elif args.format == "html":
        text = render_html(infos, title=root.name)
    else:
        terminal = not to_file and sys.stdout.isatty()
        colour = terminal and "NO_COLOR" not in os.environ
        # Off a terminal nothing limits a line: a file or a pipe gets each row whole, never a
        # `file:line` folded in two.
        width = shutil.get_terminal_size((160, 24)).columns if terminal else UNLIMITED_WIDTH
        text = render_table(infos, colour=colour, width=width)
    if to_file:
        return write_output(Path(args.output), text, summary_line(infos))
    with reader_may_leave():
        sys.stdout.write(text)
    return 0


def write_output(target: Path, text: str, summary: str) -> int:
    """``-o FILE``: written whole or not at all (a temporary file renamed over it), never through
    a symlink planted where the map is to go."""
    shown = escape_controls(str(target))
    try:
        write_atomic(target, text.encode("utf-8"))
    except UnsafeFile as error:
        print(f"nextguard: error: cannot write {shown}: it {error.reason}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"nextguard: error: cannot write {shown}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"nextguard: wrote {shown} ({summary})", file=sys.stderr)
    return 0


def _display(path: Path) -> str:
    try:
        shown = str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    return escape_controls(shown)


# -- JSON ---------------------------------------------------------------------------------------------
