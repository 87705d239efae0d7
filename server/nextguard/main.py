"""The `nextguard` command: the CLI's commands, and `nextguard lsp`, which starts the language
server. The one module that knows both front ends, so neither has to import the other."""

from __future__ import annotations

from collections.abc import Sequence


def _serve(tcp: str | None) -> int:
    from .lsp.server import serve

    return serve(tcp)


def main(argv: Sequence[str] | None = None) -> int:
    from .cli.main import main as run

    return run(argv, serve=_serve)


__all__ = ["main"]
