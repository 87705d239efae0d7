"""`nextguard check | map | rules | explain | lsp`: the command line front end.

Exit codes: 0 no findings, 1 findings, 2 a usage, config or path error, or a file `--fix` could
not write (one line on stderr, no traceback). `map` is an inventory, not a check: 0 unless an
error. A reader that goes away (`| head`) changes none of these (cli/pipes.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import __version__
from ..config import ConfigError
from ..engine import BY_CODE, RULES
from . import adoption
from .check import run_check
from .pipes import silence_broken_pipes

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"nextguard: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _codes(value: str) -> list[str]:
    codes = [part.strip().upper() for part in value.split(",") if part.strip()]
    for code in codes:
        if not any(rule.code.startswith(code) for rule in RULES) or not code.startswith("NG"):
            raise argparse.ArgumentTypeError(f"unknown rule code or prefix {code!r} (see `nextguard rules`)")
    return codes


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nextguard", description="Finds the security mistakes Next.js Server Actions make easy.")
    parser.add_argument("--version", action="version", version=f"nextguard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="analyse a workspace and report findings")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument("--select", type=_codes, default=[], metavar="CODES", help="only these codes or prefixes")
    check.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="skip these codes or prefixes")
    check.add_argument("--fix", action="store_true", help="apply safe fixes, then report what is left")
    check.add_argument("--unsafe-fixes", action="store_true", help="with --fix, also apply unsafe fixes")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    check.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache (in your user cache directory)"
    )
    check.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="processes that parse a large workspace (default: one per CPU; 1: this one only)",
    )
    check.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="keep the cache under DIR instead of your user cache directory (never a symlink; signed with your key)",
    )
    adoption.add_arguments(check)

    endpoints = commands.add_parser("map", help="list every Server Action and route handler and how it is protected")
    endpoints.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    endpoints.add_argument("--format", choices=("table", "json", "markdown", "html"), default="table")
    endpoints.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout")

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument(
        "--docs", action="store_true", help="print every rule's documentation as one Markdown page (docs/rules.md)"
    )
    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code")

    lsp = commands.add_parser("lsp", help="run the language server (stdio)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (for debugging)")
    # Some clients (vscode-languageclient with the stdio transport) always pass --stdio.
    lsp.add_argument("--stdio", action="store_true", help="serve over stdio (the default)")
    return parser


def main(argv: Sequence[str] | None = None, *, serve: Callable[[str | None], int] | None = None) -> int:
    """Run a command. ``serve`` starts the language server for `nextguard lsp`: the CLI does not
    import the server (the front ends are independent); ``nextguard.main`` hands it over."""
    args = build_parser().parse_args(argv)
    try:
        status = _run(args, serve)
        if not sys.stdout.closed:  # the language server closes stdout when its client says exit
            sys.stdout.flush()  # here, where a reader that went away can still be told apart
        return status
    except BrokenPipeError:
        # The reader (`| head`) went away once the result was being printed: `check` says its own
        # status (cli/pipes.py); for the others, printing is all there is left to do.
        silence_broken_pipes()
        return EXIT_CLEAN


def _run(args: argparse.Namespace, serve: Callable[[str | None], int] | None) -> int:
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "map":
            from .map import run_map

            return run_map(args)
        if args.command == "rules":
            if args.docs:
                sys.stdout.write(rules_reference())
                return EXIT_CLEAN
            return _rules()
        if args.command == "explain":
            return _explain(args.code)
        if args.command == "lsp":
            if serve is None:
                print("nextguard: error: start the language server with `nextguard lsp`", file=sys.stderr)
                return EXIT_ERROR
            return serve(args.tcp)
    except ConfigError as error:
        print(f"nextguard: config error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return EXIT_ERROR


def _rules() -> int:
    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        print(f"{rule.code}  {rule.name:<{width}}  {rule.severity.value:<7}  {rule.doc().summary}")
    return EXIT_CLEAN


def rules_reference() -> str:
    """Every rule's documentation on one page, in code order: what `docs/rules.md` holds and what
    each diagnostic's link points at (a rule's heading gives the `ng101-action-missing-auth` anchor)."""
    parts = [
        "# nextguard rules",
        "",
        "Generated by `nextguard rules --docs` from each rule module's documentation; "
        "`nextguard explain NG101` prints one of them.",
        "",
        "| code | name | default | summary |",
        "|---|---|---|---|",
    ]
    parts += [f"| {r.code} | {r.name} | {r.severity.value} | {r.doc().summary} |" for r in RULES]
    for rule in RULES:
        body = rule.doc().markdown(rule.code, rule.name).replace("\n## ", "\n### ").replace("# ", "## ", 1)
        parts += ["", body.rstrip(), "", f"Default severity: {rule.severity.value}."]
    return "\n".join(parts) + "\n"


def _explain(code: str) -> int:
    rule = BY_CODE.get(code.strip().upper())
    if rule is None:
        print(f"nextguard: unknown rule {code!r} (see `nextguard rules`)", file=sys.stderr)
        return EXIT_ERROR
    print(rule.doc().markdown(rule.code, rule.name), end="")
    print(f"\nDefault severity: {rule.severity.value}. Docs: {rule.url()}")
    return EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())
