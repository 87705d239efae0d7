"""Owner fields read from the workspace's schemas, whatever their names.

An owner field records who owns a record — its creator, author, owner or tenant: a field that
references the users, accounts, members or organizations table. The schema says which fields do:

- Prisma: `author User @relation(fields: [authorId], references: [id])` makes `author` and
  `authorId` owner fields;
- Drizzle: `createdBy: text('created_by').references(() => users.id)` makes `createdBy` and
  `created_by` owner fields;
- Mongoose: `author: { type: Schema.Types.ObjectId, ref: 'User' }` makes `author` one (an array
  of references — a community's members — is not an owner).

Other foreign keys (the group a post goes into) are not owner fields. The configured
``ownerFields`` stay the fallback when no schema is found; these are added to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..safefs import UnsafeFile, read_text_bounded
from .index import WorkspaceIndex

# Tables and models whose rows are principals: who a record can belong to.
_PRINCIPAL = re.compile(
    r"^(?:auth_?)?(users?|accounts?|members?|organi[sz]ations?|orgs?|teams?|workspaces?|tenants?|profiles?)$",
    re.IGNORECASE,
)
_PRISMA_GLOBS = (
    "schema.prisma",
    "prisma/*.prisma",
    "prisma/schema/*.prisma",
    "src/prisma/*.prisma",
    "*/prisma/*.prisma",
    "*/*/prisma/*.prisma",
    "*/*/prisma/schema/*.prisma",
)
_MAX_SCHEMA = 2_000_000
_MODEL = re.compile(r"^\s*model\s+\w+\s*\{(.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_PRISMA_RELATION = re.compile(
    r"^\s*(\w+)\s+(\w+)\??\s+@relation\((?:[^()]|\([^()]*\))*?fields:\s*\[\s*([\w\s,]+?)\s*\]", re.MULTILINE
)
_DRIZZLE_REFERENCE = re.compile(
    rb"([A-Za-z_$][\w$]*)\s*:\s*[\w$]+\(\s*['\"]([\w$]+)['\"][^()]*\)(?:\s*\.\s*[\w$]+\([^()]*\))*?"
    rb"\s*\.\s*references\(\s*\(\)\s*=>\s*([A-Za-z_$][\w$]*)\s*\.",
)
_MONGOOSE_REF = re.compile(rb"([A-Za-z_$][\w$]*)\s*:\s*(\[\s*)?\{[^{}]*?\bref\s*:\s*['\"]([\w$]+)['\"]")


def schema_owner_fields(index: WorkspaceIndex) -> frozenset[str]:
    """Every owner field the workspace's schemas declare (memoised per analysis)."""
    found = index.memo.get("owner-schema")
    if isinstance(found, frozenset):
        return found
    fields = set(_prisma_owner_fields(index.root))
    for source in index.sources.values():
        fields.update(_source_owner_fields(source))
    result = frozenset(fields)
    index.memo["owner-schema"] = result
    return result


def _prisma_owner_fields(root: Path) -> Iterable[str]:
    for text in _prisma_schemas(root):
        yield from prisma_owner_fields(text)


def _prisma_schemas(root: Path) -> Iterable[str]:
    for pattern in _PRISMA_GLOBS:
        for path in sorted(root.glob(pattern)):
            if "node_modules" in path.parts:
                continue
            try:
                yield read_text_bounded(path, _MAX_SCHEMA, follow_symlinks=False)
            except (OSError, UnsafeFile, ValueError):
                continue


_MODEL_NAMED = re.compile(r"^\s*model\s+(\w+)\s*\{(.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_FIELD = re.compile(r"^\s*(\w+)\s+\w", re.MULTILINE)


def prisma_models(index: WorkspaceIndex) -> dict[str, tuple[str, ...]]:
    """Prisma model, as the client spells it (`post`), -> its field names (memoised)."""
    found = index.memo.get("owner-schema-models")
    if isinstance(found, dict):
        return found
    models: dict[str, tuple[str, ...]] = {}
    for text in _prisma_schemas(index.root):
        for match in _MODEL_NAMED.finditer(text):
            body = re.sub(r"//[^\n]*", "", match.group(2))
            name = match.group(1)
            models[name[:1].lower() + name[1:]] = tuple(f for f in _FIELD.findall(body) if not f.startswith("@"))
    index.memo["owner-schema-models"] = models
    return models


def principal(name: str) -> bool:
    """Whether a table or model holds principals (users, accounts, members, organizations…)."""
    return _PRINCIPAL.match(name) is not None


def prisma_owner_fields(text: str) -> Iterable[str]:
    for model in _MODEL.finditer(text):
        body = re.sub(r"//[^\n]*", "", model.group(1))
        for match in _PRISMA_RELATION.finditer(body):
            name, target, scalars = match.group(1), match.group(2), match.group(3)
            if _PRINCIPAL.match(target):
                yield name
                yield from (scalar.strip() for scalar in scalars.split(",") if scalar.strip())


def _source_owner_fields(source: bytes) -> Iterable[str]:
    if b"references(" in source:
        for match in _DRIZZLE_REFERENCE.finditer(source):
            if _PRINCIPAL.match(match.group(3).decode()):
                yield match.group(1).decode()
                yield match.group(2).decode()
    if b"ref" in source and b"Schema" in source:
        for match in _MONGOOSE_REF.finditer(source):
            if match.group(2) is None and _PRINCIPAL.match(match.group(3).decode()):
                yield match.group(1).decode()
