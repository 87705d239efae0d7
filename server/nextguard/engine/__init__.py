"""The engine's front door: paths in, findings out. The CLI (``cli/``) and the language server
(``lsp/``) import this package and nothing below it (an import-linter contract in pyproject.toml
says so), so what they can use is listed here, by job:

Load a workspace
    ``discover``, ``find_workspace_root``, ``read_source`` and the discovery rules
    (``SOURCE_SUFFIXES``, ``SKIPPED_DIRS``, ``is_source_name``, ``skipped_without_walk``,
    ``is_test_file``, ``is_declaration_file``);
    ``build_index`` / ``load_file`` read, parse and extract (``loading.py``); ``default_jobs``.

Analyse it (batch, cached, parallel)
    ``analyze`` → a ``Report``; ``run_rules`` over an index already loaded (``batch.py``).

Update it incrementally
    ``LiveWorkspace``: the index kept current per file, findings of one file on demand;
    ``LoneFileWorkspace``: a file opened outside every folder (``incremental.py``).

Rules
    ``RULES`` in code order, ``BY_CODE``, ``Rule`` (each rule's docstring is its documentation).

Findings with fixes, applying fixes
    ``choose`` and ``first_fix`` are the one conflict policy (which fixes of many go together);
    ``apply_edits`` applies the chosen edits to a text; ``common_ends`` is the shared prefix and
    suffix of two texts (the edit between them).

Suppressions and baseline
    ``suppressions_of`` (``// nextguard-ignore`` comments of a file), and the comments' text for
    a writer (``next_line_directive``, ``file_directive``, ``NEXT_LINE_CODES``); ``Baseline``, ``folder_baseline``
    (a folder's ``nextguard-baseline.json``) and the helpers of ``baseline.py``.

Endpoint inventory
    ``endpoints``, ``file_endpoints``, ``load_analysis``, ``summary_line``, ``EndpointInfo``
    (``inventory.py``): what `nextguard map` and the code lenses show.
"""

from __future__ import annotations

from ..baseline import (
    BASELINE_FILE,
    Baseline,
    BaselineError,
    DiffError,
    changed_lines,
    folder_baseline,
    on_changed_lines,
    write_baseline,
)
from ..config import DEFAULT_CONFIG
from ..facts.model import FileFacts
from ..facts.partial import common_ends
from ..fixes.choose import choose, first_fix
from ..fixes.edits import apply_edits
from ..rules.base import Rule
from ..rules.registry import BY_CODE, RULES
from ..suppressions import NEXT_LINE_CODES, file_directive, next_line_directive, suppressions_of
from ..workspace.discovery import (
    SKIPPED_DIRS,
    SOURCE_SUFFIXES,
    discover,
    find_workspace_root,
    is_declaration_file,
    is_source_name,
    is_test_file,
    read_source,
    skipped_without_walk,
)
from .batch import analysed_digests, analyze, run_rules
from .incremental import LiveWorkspace, LoneFileWorkspace
from .inventory import ACTION_ID_NOTE, EndpointInfo, endpoints, file_endpoints, load_analysis, summary_line
from .loading import PARALLEL_MIN_FILES, Progress, build_index, default_jobs, load_file

__all__ = [
    "ACTION_ID_NOTE",
    "BASELINE_FILE",
    "BY_CODE",
    "DEFAULT_CONFIG",
    "NEXT_LINE_CODES",
    "PARALLEL_MIN_FILES",
    "RULES",
    "SKIPPED_DIRS",
    "SOURCE_SUFFIXES",
    "Baseline",
    "BaselineError",
    "DiffError",
    "EndpointInfo",
    "FileFacts",
    "LiveWorkspace",
    "LoneFileWorkspace",
    "Progress",
    "Rule",
    "analysed_digests",
    "analyze",
    "apply_edits",
    "build_index",
    "changed_lines",
    "choose",
    "common_ends",
    "default_jobs",
    "discover",
    "endpoints",
    "file_directive",
    "file_endpoints",
    "find_workspace_root",
    "first_fix",
    "folder_baseline",
    "is_declaration_file",
    "is_source_name",
    "is_test_file",
    "load_analysis",
    "load_file",
    "next_line_directive",
    "on_changed_lines",
    "read_source",
    "run_rules",
    "skipped_without_walk",
    "summary_line",
    "suppressions_of",
    "write_baseline",
]
