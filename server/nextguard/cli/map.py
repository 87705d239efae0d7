"""`nextguard map`: every Server Action and route handler of a workspace and how each is protected,
as a terminal table, JSON (`schemas/map.schema.json`), Markdown for a pull-request comment, or one
self-contained HTML page. An inventory, not a check: it exits 0 whatever it finds (2 on an error)."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from .. import __version__
from ..inventory import ACTION_ID_NOTE, EndpointInfo, endpoints, load_analysis, summary_line

OWNERSHIP_NOTE = (
    "Ownership scoping (NG104) is not analysed yet: the map does not say whether a query is tied to the caller."
)
_STATUS_STYLE = {"protected": "green", "public": "cyan", "unprotected": "bold red"}
_STATUS_ICON = {"protected": "✅", "public": "🌐", "unprotected": "❌"}


def run_map(args: argparse.Namespace) -> int:
    path: Path = args.path
    if not path.exists():
        print(f"nextguard: error: no such file or directory: {path}", file=sys.stderr)
        return 2
    analysis, notices = load_analysis(path)
    for notice in notices:
        print(f"nextguard: {_display(notice.path)}: {notice.message}", file=sys.stderr)
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
        colour = not to_file and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        width = shutil.get_terminal_size((160, 24)).columns if not to_file and sys.stdout.isatty() else 160
        text = render_table(infos, colour=colour, width=width)
    if to_file:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"nextguard: error: cannot write {args.output}: {error.strerror}", file=sys.stderr)
            return 2
        print(f"nextguard: wrote {args.output} ({summary_line(infos)})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# -- JSON ---------------------------------------------------------------------------------------------


def render_json(infos: Sequence[EndpointInfo]) -> str:
    return json.dumps([info.as_dict() for info in infos], indent=2, ensure_ascii=False) + "\n"


# -- cells shared by the table and Markdown -----------------------------------------------------------


def _endpoint_kind(info: EndpointInfo) -> str:
    if info.kind == "route":
        return "route handler"
    return "inline action" if info.kind == "inline" else "action"


def _location(info: EndpointInfo) -> str:
    return f"{info.file}:{info.line}"


def _reexports(info: EndpointInfo) -> str:
    return ", ".join(f"{file} as {name}" for file, name in info.reexported_by)


def _protection_detail(info: EndpointInfo) -> str:
    protection = info.protection
    if protection.status == "protected":
        by = protection.by or "an auth check"
        via = protection.via.describe() if protection.via is not None else "its wrapper chain"
        if protection.via is not None and protection.via.kind == "body" and protection.by_file:
            via = f"own body; {protection.by} is in {protection.by_file}"
        return f"{by} ({via})"
    if protection.status == "public":
        return protection.reason or "public"
    return protection.note or "no auth check"


def _data(info: EndpointInfo) -> str:
    data = info.data
    if not data.reads and not data.mutates:
        return "—"
    what = "mutates" if data.mutates else "reads"
    if data.reads and data.mutates:
        what = "reads, mutates"
    return f"{what}: {', '.join(data.functions)}" if data.functions else what


def _list(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "—"


def _findings(info: EndpointInfo) -> str:
    return ", ".join(finding.code for finding in info.findings) or "—"


# -- the terminal table -------------------------------------------------------------------------------


def render_table(infos: Sequence[EndpointInfo], *, colour: bool = False, width: int = 160) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=colour, no_color=not colour, highlight=False, width=width, soft_wrap=False
    )
    console.print(f"[bold]{escape(summary_line(infos))}[/bold]")
    if not infos:
        console.print("No Server Actions or route handlers found.")
        return buffer.getvalue()
    table = Table(show_lines=False, expand=False, pad_edge=False)
    for column in ("Route", "Endpoint", "File", "Protection", "Data", "Validation", "Rate limit", "Findings"):
        table.add_column(column, overflow="fold")
    previous: tuple[str, str] | None = None
    for info in infos:
        group = (info.project, info.segment)
        if previous is not None and group != previous:
            table.add_section()
        route = "" if group == previous else info.segment
        if group != previous and info.project != ".":
            route = f"{info.project} {route}"
        previous = group
        status = info.protection.status
        style = _STATUS_STYLE[status]
        endpoint = f"[bold]{escape(info.name)}[/bold]\n[dim]{escape(_endpoint_kind(info))}[/dim]"
        location = escape(_location(info))
        if info.reexported_by:
            location += f"\n[dim]re-exported by {escape(_reexports(info))}[/dim]"
        protection = f"[{style}]{status}[/{style}]\n{escape(_protection_detail(info))}"
        findings = _findings(info)
        table.add_row(
            escape(route),
            endpoint,
            location,
            protection,
            escape(_data(info)),
            escape(_list(info.validation)),
            escape(_list(info.rate_limit)),
            f"[bold red]{escape(findings)}[/bold red]" if info.findings else "—",
        )
    console.print(table)
    actions = [info for info in infos if info.kind != "route"]
    if actions:
        console.print()
        console.print("[bold]Reach each action directly[/bold] (no UI needed):")
        for info in actions:
            console.print(f"[dim]# {escape(info.name)} — {escape(_location(info))}[/dim]")
            console.print(escape(info.curl or ""), soft_wrap=True)
        console.print(f"[dim]{escape(ACTION_ID_NOTE)}[/dim]", soft_wrap=True)
    console.print(f"[dim]{escape(OWNERSHIP_NOTE)}[/dim]", soft_wrap=True)
    return buffer.getvalue()


# -- Markdown -----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    if not text or text == "—":
        return "—"
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{_cell(text)}{pad}{fence}"


def render_markdown(infos: Sequence[EndpointInfo]) -> str:
    lines = [summary_line(infos), ""]
    if not infos:
        lines.append("No Server Actions or route handlers found.")
        return "\n".join(lines) + "\n"
    lines.append("| Route | Endpoint | Kind | File | Protection | Data | Validation | Rate limit | Findings |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for info in infos:
        route = info.route.path or "(no page imports it)"
        if info.project != ".":
            route = f"{info.project} {route}"
        status = info.protection.status
        protection = f"{_STATUS_ICON[status]} **{status}**: {_cell(_protection_detail(info))}"
        location = _code(_location(info))
        if info.reexported_by:
            location += f"<br>re-exported by {_cell(_reexports(info))}"
        data = info.data
        data_cell = "—"
        if data.reads or data.mutates:
            what = "reads, mutates" if data.reads and data.mutates else ("mutates" if data.mutates else "reads")
            data_cell = what + (": " + ", ".join(_code(f) for f in data.functions) if data.functions else "")
        lines.append(
            "| "
            + " | ".join(
                (
                    _code(route),
                    _code(info.name),
                    _endpoint_kind(info),
                    location,
                    protection,
                    data_cell,
                    ", ".join(_code(v) for v in info.validation) or "—",
                    ", ".join(_code(v) for v in info.rate_limit) or "—",
                    ", ".join(f.code for f in info.findings) or "—",
                )
            )
            + " |"
        )
    actions = [info for info in infos if info.kind != "route"]
    if actions:
        lines += ["", f"<details><summary>curl shapes of the {len(actions)} Server Actions</summary>", "", "```sh"]
        for info in actions:
            lines += [f"# {info.name} ({_location(info)})", info.curl or ""]
        lines += ["```", "", ACTION_ID_NOTE, "", "</details>"]
    lines += ["", f"_{OWNERSHIP_NOTE}_"]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return files("nextguard.cli").joinpath("html").joinpath(name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no `<` can close it or open a comment."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(infos: Sequence[EndpointInfo], *, title: str) -> str:
    """One self-contained page: the data, the style and the script are inlined; nothing is loaded
    from anywhere else."""
    from html import escape

    data = {
        "title": title,
        "summary": summary_line(infos),
        "version": __version__,
        "actionIdNote": ACTION_ID_NOTE,
        "ownershipNote": OWNERSHIP_NOTE,
        "endpoints": [info.as_dict() for info in infos],
    }
    page = _asset("map.html")
    replacements = {
        "{{title}}": escape(f"nextguard map — {title}"),
        "{{summary}}": escape(summary_line(infos)),
        "/*{{style}}*/": _asset("map.css"),
        "/*{{script}}*/": _asset("map.js"),
        "{{data}}": _script_json(data),
    }
    # One pass, so that nothing inserted (a name in the data, say) is taken for a placeholder.
    pattern = re.compile("|".join(re.escape(token) for token in replacements))
    return pattern.sub(lambda match: replacements[match.group(0)], page)
