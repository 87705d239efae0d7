"""How often nextguard is right on apps nobody here wrote: precision and recall per rule and per app.

    python bench/accuracy.py                      # the tuning apps (the default: never the holdout by accident)
    python bench/accuracy.py --split holdout      # the holdout apps, once the work is done
    python bench/accuracy.py --split all --write  # both, and write bench/results/accuracy-*.md/.json
    python bench/accuracy.py --app owner/name     # one app, with every false positive and miss

The labels are pointers at pinned commits (``bench/corpus/apps/*.json``, one file per app, written
per ``LABELLING.md``): no third-party code is in this repository. Each app is materialized at its
commit outside the repository by ``bench/corpora.py``'s machinery (a clone, or an archive of the
local mirror that the search tool's ``fetch`` brought: ``$NEXTGUARD_MIRRORS``, default
``/work/.mirror``), then ``nextguard map --format json`` (every endpoint with the findings inside
it) and ``nextguard check --format json`` (module-level findings) run on it with no cache.

Scoring, per exported Server Action label (``unclear`` labels are left out of every rule):

| rule | a label is positive when | negative when |
|---|---|---|
| NG101 | ``auth`` is ``unauthenticated`` | ``authenticated`` or ``public-by-design`` |
| NG104 | ``ownership`` is ``unscoped`` | ``scoped`` or ``not-applicable`` |
| NG105 | ``client_owner`` is true | false |
| NG201 | ``raw_return`` is true | false |
| NG203 | a ``modules`` row with ``dal_like`` and not ``server_only`` | ``dal_like`` and ``server_only`` |

A rule "fires" on an action when the map lists that code among the action's findings. An action
that nextguard does not list at all (a missed endpoint) counts as not fired. Endpoints nextguard
lists that carry no label are counted, not scored (the labels say which actions exist).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import DEFAULT_OUT, App, materialize

HERE = Path(__file__).resolve().parent
LABELS = HERE / "corpus" / "apps"
RESULTS = HERE / "results"
ACTION_RULES = ("NG101", "NG104", "NG105", "NG201")
RULES = (*ACTION_RULES, "NG203")


@dataclass
class Label:
    app: str
    path: str
    function: str
    line: int
    row: dict[str, Any]

    def truth(self, rule: str) -> bool | None:
        """Whether ``rule`` should fire on this action; None when the label does not say."""
        row = self.row
        if rule == "NG101":
            auth = row.get("auth")
            if auth == "unauthenticated":
                return True
            return False if auth in ("authenticated", "public-by-design") else None
        if rule == "NG104":
            ownership = row.get("ownership")
            return None if ownership is None else ownership == "unscoped"
        if rule == "NG105":
            value = row.get("client_owner")
            return value if isinstance(value, bool) else None
        if rule == "NG201":
            value = row.get("raw_return")
            return value if isinstance(value, bool) else None
        return None


@dataclass
class Endpoint:
    path: str  # repo-relative
    name: str
    line: int
    kind: str
    codes: set[str]
    protection: dict[str, Any]


@dataclass
class Outcome:
    """One scored decision: a label, whether the rule fired, what nextguard said."""

    app: str
    rule: str
    truth: bool
    fired: bool
    where: str
    note: str
    said: str


@dataclass
class AppRun:
    repo: str
    split: str
    kind: str
    outcomes: list[Outcome] = field(default_factory=list)
    unmatched_labels: list[str] = field(default_factory=list)
    unlabelled_endpoints: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def load_apps(split: str, only: list[str]) -> list[dict[str, Any]]:
    apps = []
    for path in sorted(LABELS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if only and data["repo"] not in only:
            continue
        if not only and split != "all" and data["split"] != split:
            continue
        apps.append(data)
    return apps


def run_json(command: list[str], cwd: Path) -> Any:
    result = subprocess.run(command, cwd=cwd, capture_output=True, timeout=900)
    if result.returncode not in (0, 1):
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(command[:4])} exited {result.returncode}: {' | '.join(tail)}")
    return json.loads(result.stdout)


def repo_relative(root: Path, app_root: str, name: str) -> str:
    """A path nextguard printed (relative to the workspace it chose) as a path in the repo."""
    for base in (root, root / app_root):
        candidate = base / name
        if candidate.exists():
            return candidate.resolve().relative_to(root.resolve()).as_posix()
    return name


def endpoints_of(root: Path, app_root: str) -> list[Endpoint]:
    nextguard = [sys.executable, "-m", "nextguard"]
    target = str(root / app_root) if app_root else str(root)
    listed = run_json([*nextguard, "map", "--format", "json", target], cwd=root)
    found = []
    for entry in listed:
        if entry["kind"] == "route":
            continue
        found.append(
            Endpoint(
                repo_relative(root, app_root, entry["file"]),
                entry["name"],
                int(entry["line"]),
                entry["kind"],
                {f["code"] for f in entry["findings"]},
                entry["protection"],
            )
        )
    return found


def module_findings(root: Path, app_root: str) -> dict[str, set[str]]:
    nextguard = [sys.executable, "-m", "nextguard"]
    target = str(root / app_root) if app_root else str(root)
    findings = run_json(
        [*nextguard, "check", "--format", "json", "--no-cache", "--exit-zero", "--select", "NG203", target], cwd=root
    )
    by_file: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        path = Path(finding["filename"])
        absolute = path if path.is_absolute() else (root / path)
        try:
            rel = absolute.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = finding["filename"]
        by_file[rel].add(finding["code"])
    return by_file


def match(label: Label, endpoints: list[Endpoint]) -> Endpoint | None:
    same_file = [e for e in endpoints if e.path == label.path]
    if label.function.startswith("inline@"):
        line = int(label.function.split("@", 1)[1])
        near = [e for e in same_file if e.kind == "inline" and abs(e.line - line) <= 3]
        return min(near, key=lambda e: abs(e.line - line), default=None)
    named = [e for e in same_file if e.name == label.function]
    if named:
        return min(named, key=lambda e: abs(e.line - label.line))
    # A default export is listed as `default`; a label may name the function.
    near = [e for e in same_file if abs(e.line - label.line) <= 2]
    return min(near, key=lambda e: abs(e.line - label.line), default=None)


def describe(endpoint: Endpoint | None) -> str:
    if endpoint is None:
        return "not listed as an endpoint"
    summary = endpoint.protection.get("summary") or endpoint.protection.get("status")
    codes = ",".join(sorted(endpoint.codes)) or "no findings"
    return f"{summary}; {codes}"


def score_app(data: dict[str, Any], out: Path) -> AppRun:
    run = AppRun(data["repo"], data["split"], data.get("kind", "?"))
    started = time.perf_counter()
    try:
        root = materialize(App(data["repo"], data["commit"], data.get("kind", "")), out)
        app_root = data.get("app_root", "") or ""
        endpoints = endpoints_of(root, app_root)
        modules = module_findings(root, app_root) if data.get("modules") else {}
    except (RuntimeError, SystemExit, subprocess.TimeoutExpired, json.JSONDecodeError, OSError) as error:
        run.error = str(error)
        return run
    matched: set[int] = set()
    for row in data.get("actions", []):
        label = Label(data["repo"], row["path"], row["function"], int(row.get("line", 0)), row)
        endpoint = match(label, endpoints)
        if endpoint is None:
            run.unmatched_labels.append(f"{label.path}:{label.line} {label.function}")
        else:
            matched.add(id(endpoint))
        for rule in ACTION_RULES:
            truth = label.truth(rule)
            if truth is None:
                continue
            fired = endpoint is not None and rule in endpoint.codes
            run.outcomes.append(
                Outcome(
                    data["repo"],
                    rule,
                    truth,
                    fired,
                    f"{label.path}:{label.line} {label.function}",
                    row.get("notes", ""),
                    describe(endpoint),
                )
            )
    for row in data.get("modules", []):
        if not row.get("dal_like"):
            continue
        fired = "NG203" in modules.get(row["path"], set())
        run.outcomes.append(
            Outcome(
                data["repo"], "NG203", not row.get("server_only", False), fired, row["path"], row.get("notes", ""), ""
            )
        )
    run.unlabelled_endpoints = [f"{e.path}:{e.line} {e.name}" for e in endpoints if id(e) not in matched]
    run.seconds = time.perf_counter() - started
    return run


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome.fired and outcome.truth:
            self.tp += 1
        elif outcome.fired:
            self.fp += 1
        elif outcome.truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def report(runs: list[AppRun], title: str) -> tuple[str, dict[str, Any]]:
    per_rule: dict[str, Score] = {rule: Score() for rule in RULES}
    per_app: dict[str, dict[str, Score]] = {}
    for run in runs:
        per_app[run.repo] = {rule: Score() for rule in RULES}
        for outcome in run.outcomes:
            per_rule[outcome.rule].add(outcome)
            per_app[run.repo][outcome.rule].add(outcome)
    lines = [f"# {title}", ""]
    labelled = sum(1 for run in runs for o in run.outcomes if o.rule == "NG101")
    lines.append(f"{len(runs)} apps, {labelled} actions with an NG101 label.")
    lines += ["", "| rule | TP | FP | FN | TN | precision | recall | F1 |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for rule, score in per_rule.items():
        lines.append(
            f"| {rule} | {score.tp} | {score.fp} | {score.fn} | {score.tn} | "
            f"{fmt(score.precision)} | {fmt(score.recall)} | {fmt(score.f1)} |"
        )
    lines += [
        "",
        "| app | split | kind | NG101 TP/FP/FN | NG101 P | NG101 R | NG104 P | NG104 R | NG201 R | unmatched | s |",
        "|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        scores = per_app[run.repo]
        s101 = scores["NG101"]
        if run.error:
            lines.append(f"| {run.repo} | {run.split} | {run.kind} | error: {run.error} | | | | | | | |")
            continue
        lines.append(
            f"| {run.repo} | {run.split} | {run.kind} | {s101.tp}/{s101.fp}/{s101.fn} | {fmt(s101.precision)} | "
            f"{fmt(s101.recall)} | {fmt(scores['NG104'].precision)} | {fmt(scores['NG104'].recall)} | "
            f"{fmt(scores['NG201'].recall)} | {len(run.unmatched_labels)} | {run.seconds:.1f} |"
        )
    lines += ["", "## False positives and misses", ""]
    for run in runs:
        wrong = [o for o in run.outcomes if o.fired != o.truth]
        if not wrong and not run.unmatched_labels:
            continue
        lines.append(f"### {run.repo}")
        for outcome in sorted(wrong, key=lambda o: (o.rule, o.where)):
            kind = "FP" if outcome.fired else "miss"
            lines.append(
                f"- {outcome.rule} {kind} `{outcome.where}` — label: {outcome.note} — nextguard: {outcome.said}"
            )
        for where in run.unmatched_labels:
            lines.append(f"- not listed by `nextguard map`: `{where}`")
        lines.append("")
    data = {
        "title": title,
        "rules": {rule: score.as_dict() for rule, score in per_rule.items()},
        "apps": {
            run.repo: {
                "split": run.split,
                "kind": run.kind,
                "error": run.error,
                "seconds": round(run.seconds, 2),
                "rules": {rule: score.as_dict() for rule, score in per_app[run.repo].items()},
                "unmatched_labels": run.unmatched_labels,
                "unlabelled_endpoints": len(run.unlabelled_endpoints),
                "wrong": [o.__dict__ for o in run.outcomes if o.fired != o.truth],
            }
            for run in runs
        },
    }
    return "\n".join(lines) + "\n", data


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("tuning", "holdout", "all"), default="tuning")
    parser.add_argument("--app", action="append", default=[], help="only this app (owner/name); repeatable")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the apps are materialized")
    parser.add_argument("--write", action="store_true", help="write bench/results/accuracy-<split>.md and .json")
    args = parser.parse_args(argv)
    apps = load_apps(args.split, args.app)
    if not apps:
        parser.error(f"no labelled apps for {args.app or args.split} under {LABELS}")
    if args.app:
        groups = [("selected", apps)]
    elif args.split == "all":
        groups = [(split, [a for a in apps if a["split"] == split]) for split in ("tuning", "holdout")]
    else:
        groups = [(args.split, apps)]
    for split, chosen in groups:
        runs = []
        for data in chosen:
            print(f"{data['repo']} @ {data['commit'][:12]} ...", file=sys.stderr, flush=True)
            runs.append(score_app(data, args.out.expanduser()))
        title = f"nextguard accuracy: {split} apps (nextguard {git_head()})"
        text, data = report(runs, title)
        sys.stdout.write(text)
        if args.write and not args.app:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"accuracy-{split}.md").write_text(text, encoding="utf-8")
            (RESULTS / f"accuracy-{split}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GIT_TERMINAL_PROMPT", "0")
    raise SystemExit(main())
