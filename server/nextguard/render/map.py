"""The endpoint map as text: a terminal table, JSON (`schemas/map.schema.json`), Markdown for a
pull-request comment, or one self-contained HTML page. `nextguard map` prints it; the language
server's "show map" command writes the Markdown."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from .. import __version__
from ..engine.inventory import ACTION_ID_NOTE, EndpointInfo, summary_line
from .text import escape_controls, json_text

OWNERSHIP_NOTE = (
    "Ownership comes from NG104 and NG105: unscoped (a record keyed by client input alone), client-owner (an owner"
    " field written from client input), checked (neither found) or not-applicable (no data)."
)
_STATUS_STYLE = {"protected": "green", "public": "cyan", "unprotected": "bold red"}
UNLIMITED_WIDTH = 10_000  # columns: wider than any row
_STATUS_ICON = {"protected": "✅", "public": "🌐", "unprotected": "❌"}


def render_json(infos: Sequence[EndpointInfo]) -> str:
    return json_text([info.as_dict() for info in infos]) + "\n"


# -- cells shared by the table and Markdown -----------------------------------------------------------


def _endpoint_kind(info: EndpointInfo) -> str:
    if info.kind == "route":
        return "route handler"
    return "inline action" if info.kind == "inline" else "action"


def _route_heading(info: EndpointInfo) -> str:
    heading = info.segment
    if info.route.source == "directory":
        heading += " (its folder: no page imports it)"
    return heading if info.project == "." else f"{heading} in {info.project}"


def _location(info: EndpointInfo) -> str:
    return f"{info.file}:{info.line}"


def _reexports(info: EndpointInfo) -> str:
    return ", ".join(f"{file} as {name}" for file, name in info.reexported_by)


def _protection_parts(info: EndpointInfo) -> tuple[str, str]:
    """(headline, detail): `protected by verifySession` / `via DAL function deleteNoteForUser
    (src/lib/dal.ts)`; `public` / the reason; `unprotected` / what else is known."""
    protection = info.protection
    if protection.status == "protected":
        headline = f"protected by {protection.by}" if protection.by else "protected"
        via = protection.via
        if via is None:
            return headline, "through its wrapper chain"
        detail = f"via {via.describe()}" if via.kind != "body" else "in its own body"
        if via.kind == "body" and protection.by_file:
            detail += f" ({protection.by} is defined in {protection.by_file})"
        return headline, detail
    if protection.status == "public":
        return "public", protection.reason or "public by design"
    return "unprotected", protection.note or "no auth check"


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
    from rich import box
    from rich.console import Console
    from rich.markup import escape as markup
    from rich.table import Table

    def escape(text: str) -> str:
        # Names, files and routes come from the repository: nothing in them may steer the terminal.
        return markup(escape_controls(text))

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=colour,
        no_color=not colour,
        highlight=False,
        width=width,
        soft_wrap=False,
        emoji=False,  # `:100:` in a location is a line number, not an emoji code
    )
    console.print(f"[bold]{escape(summary_line(infos))}[/bold]")
    if not infos:
        console.print("No Server Actions or route handlers found.")
        return _trimmed(buffer.getvalue(), colour)
    groups: dict[tuple[str, str], list[EndpointInfo]] = {}
    for info in infos:
        groups.setdefault((info.project, info.segment), []).append(info)
    for members in groups.values():
        heading = _route_heading(members[0])
        noun = "endpoint" if len(members) == 1 else "endpoints"
        console.print()
        console.print(f"[bold]{escape(heading)}[/bold] [dim]({len(members)} {noun})[/dim]")
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("Endpoint", overflow="fold")
        # `file:line` is what a terminal makes clickable and what grep finds: the other columns
        # wrap before it does.
        table.add_column("File", overflow="fold", no_wrap=True)
        table.add_column("Protection", overflow="fold", min_width=24)
        table.add_column("Data", overflow="fold")
        table.add_column("Validation", overflow="fold")
        table.add_column("Rate limit", overflow="fold")
        table.add_column("Findings", overflow="fold")
        for info in members:
            status = info.protection.status
            style = _STATUS_STYLE[status]
            endpoint = f"[bold]{escape(info.name)}[/bold]\n[dim]{escape(_endpoint_kind(info))}[/dim]"
            location = escape(_location(info))
            if info.reexported_by:
                location += f"\n[dim]re-exported by {escape(_reexports(info))}[/dim]"
            headline, detail = _protection_parts(info)
            protection = f"[{style}]{escape(headline)}[/{style}]\n[dim]{escape(detail)}[/dim]"
            findings = _findings(info)
            table.add_row(
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
    return _trimmed(buffer.getvalue(), colour)


def _trimmed(text: str, colour: bool) -> str:
    """Without colour, no line ends in the padding of its table cells."""
    if colour:
        return text
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


# -- Markdown -----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    # Newlines are the table's (`<br>`); every other control or bidi character is made visible.
    safe = escape_controls(text, keep="\n")
    return safe.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


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
        route = _route_heading(info)
        status = info.protection.status
        headline, detail = _protection_parts(info)
        protection = f"{_STATUS_ICON[status]} **{_cell(headline)}** — {_cell(detail)}"
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
                    _cell(route),
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
            # One line each: a newline in a route could otherwise close the fence.
            lines += [escape_controls(f"# {info.name} ({_location(info)})"), escape_controls(info.curl or "")]
        lines += ["```", "", ACTION_ID_NOTE, "", "</details>"]
    lines += ["", f"_{OWNERSHIP_NOTE}_"]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return files("nextguard.render").joinpath("html").joinpath(name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no `<` can close it or open a comment (and,
    as everywhere, no raw bidi or C1 control: cli/text.py)."""
    return json_text(value, indent=None).replace("<", "\\u003c")


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
