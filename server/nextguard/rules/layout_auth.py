"""Layouts that check auth and the pages that rely on them: shared by NG108 (the layout's check
does not protect what the pages fetch) and NG109 (a page that relies on it)."""

from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis
from ..workspace.routes import (
    LayoutCheck,
    component_unit,
    layout_checks,
    layout_segments,
    layouts_above,
)


def checks(analysis: Analysis) -> dict[Path, LayoutCheck]:
    return analysis.memo("layout-checks", lambda: layout_checks(analysis.index, analysis.summaries))


def reliant_pages(analysis: Analysis) -> dict[Path, list[LayoutCheck]]:
    """Pages that reach data with no auth check of their own, and the auth-checking layouts above
    them (nearest first)."""

    def compute() -> dict[Path, list[LayoutCheck]]:
        index = analysis.index
        found: dict[Path, list[LayoutCheck]] = {}
        layouts = checks(analysis)
        if not layouts:
            return found
        segments = layout_segments(layouts)
        for path in index.modules:
            if index.app_kind(path) != "page":
                continue
            above = layouts_above(index, layouts, path, segments)
            if not above:
                continue
            unit = component_unit(index, path)
            if unit is None:
                continue
            summary = analysis.summaries.unit(path, unit.index)
            if summary.auth or not summary.data:
                continue
            found[path] = above
        return found

    return analysis.memo("layout-reliant-pages", compute)
