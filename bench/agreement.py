"""How far two reviewers agree on the corpus labels: the second pass against the first.

    python bench/agreement.py            # print the table
    python bench/agreement.py --write    # and write bench/results/label-agreement.md

The second pass (``bench/corpus/second-pass/*.json``) re-labels, without seeing the first labels,
a fifth of the labelled actions drawn with a fixed seed (``sample.json``), plus whole apps that two
labellers took independently (``*.labeller-*.json``). For each label field this prints how many
actions both passes labelled, the share on which they agree, and Cohen's kappa (agreement beyond
what two reviewers answering at random with the same frequencies would reach), with every
disagreement and both notes, so the corpus can be corrected where the first pass was wrong.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIRST = HERE / "corpus" / "apps"
SECOND = HERE / "corpus" / "second-pass"
RESULTS = HERE / "results"
FIELDS = ("auth", "ownership", "client_owner", "raw_return")


def key(repo: str, row: dict[str, Any]) -> tuple[str, str, str]:
    return (repo, row["path"], row["function"])


def first_labels() -> dict[tuple[str, str, str], dict[str, Any]]:
    found = {}
    for path in sorted(FIRST.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data["actions"]:
            found[key(data["repo"], row)] = row
    return found


def second_labels() -> dict[tuple[str, str, str], dict[str, Any]]:
    found = {}
    for path in sorted(SECOND.glob("*.json")):
        if path.name == "sample.json":
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data.get("actions", []):
            found[key(data["repo"], row)] = row
    return found


def kappa(pairs: list[tuple[object, object]]) -> float | None:
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left = Counter(a for a, _ in pairs)
    right = Counter(b for _, b in pairs)
    expected = sum(left[c] * right[c] for c in set(left) | set(right)) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else None
    return (observed - expected) / (1 - expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    first, second = first_labels(), second_labels()
    both = sorted(set(first) & set(second))
    missing = sorted(set(second) - set(first))
    lines = [
        "# Label agreement: second pass against first",
        "",
        f"{len(both)} actions labelled by both passes ({len({k[0] for k in both})} apps).",
        "",
        "| field | both labelled | agree | share | Cohen's kappa |",
        "|---|--:|--:|--:|--:|",
    ]
    disagreements: list[str] = []
    for field in FIELDS:
        pairs = [(first[k].get(field), second[k].get(field)) for k in both]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        agree = sum(a == b for a, b in pairs)
        share = f"{agree / len(pairs):.2f}" if pairs else "–"
        value = kappa(pairs)
        lines.append(f"| {field} | {len(pairs)} | {agree} | {share} | {'–' if value is None else f'{value:.2f}'} |")
        for k in both:
            a, b = first[k].get(field), second[k].get(field)
            if a is not None and b is not None and a != b:
                disagreements.append(
                    f"- `{k[0]}` `{k[1]}` {k[2]} — {field}: first {a!r}, second {b!r}"
                    f" — first: {first[k].get('notes', '')} — second: {second[k].get('notes', '')}"
                )
    lines += ["", "## Disagreements", "", *disagreements]
    if missing:
        lines += ["", "## Second-pass rows with no first label (pointer mismatch)", ""]
        lines += [f"- `{k[0]}` `{k[1]}` {k[2]}" for k in missing]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "label-agreement.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
