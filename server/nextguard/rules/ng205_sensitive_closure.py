"""An inline Server Action closes over a session, a token, a secret or a full record.

## What it does
Finds inline actions (functions whose body starts with `'use server'`, defined inside a Server
Component or another server function) that use a variable of the enclosing function holding
something sensitive: the result of an auth call (`const session = await auth()`), a record read
from the database (`const note = await db.note.findUnique(…)`, or through a DAL function), a
secret environment variable (`const key = process.env.STRIPE_SECRET_KEY`), or a value named like
a token, secret, password or API key.

## Why it matters
Next.js implements closures of inline actions by sending the closed-over values to the browser
(encrypted with a per-build key) and back with every call. The encryption keeps casual eyes off
them, but it is not an access control: the values still leave the server, a leaked or shared
`NEXT_SERVER_ACTIONS_ENCRYPTION_KEY` opens them, and a whole session or record travels where an
id would do. Next.js' own documentation says not to rely on it for sensitive values.

## Example
```tsx
export default async function NotePage({ params }: { params: { id: string } }) {
  const session = await auth()
  const note = await getNote(params.id)

  async function archive() {
    'use server'
    await archiveNote(note.id, session.user.id) // `note` and `session` go to the browser and back
  }
  return <form action={archive}>…</form>
}
```

## Fix
No automatic fix. Inside the action, read the session again (`await auth()`) and re-fetch the
record by id; close over (or bind with `.bind(null, id)`) only the plain ids the action needs,
and keep secrets in a server-only module the action imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

from ..analysis import Analysis
from ..facts.model import Local, Unit
from ..model import Finding, Related, Severity
from ..workspace import vocabulary as vocab
from .base import Rule

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SENSITIVE_WORDS = frozenset({"token", "secret", "password", "passwd", "credential", "credentials", "apikey"})
_SENSITIVE_PAIRS = frozenset({("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key")})
# `maxTokens`, `tokenCount`, `passwordLength`: numbers about a credential, not the credential
_ABOUT_WORDS = frozenset({"count", "length", "limit", "max", "min", "usage", "expires", "expiry", "ttl", "type"})


def sensitive_name(name: str) -> bool:
    """Whether a variable's name says it holds a credential (`accessToken`, `STRIPE_SECRET`,
    `apiKey`, `password`), split into words at case changes and underscores."""
    words = [word.lower() for word in _WORDS.findall(name)]
    if any(word in _ABOUT_WORDS for word in words):
        return False
    return any(word in _SENSITIVE_WORDS for word in words) or any(pair in _SENSITIVE_PAIRS for pair in pairwise(words))


class SensitiveClosure(Rule):
    code = "NG205"
    name = "sensitive-closure"
    severity = Severity.INFO

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        facts = analysis.index.modules[path]
        if facts.use_client:
            return
        source = analysis.index.sources[path]
        for unit in facts.units:
            if unit.use_server is None or unit.parent == 0:
                continue
            enclosing = facts.units[unit.parent]
            candidates = self._sensitive_locals(analysis, path, enclosing)
            if not candidates:
                continue
            shadowed = {binder.name for binder in unit.params} | {name for local in unit.locals for name in local.names}
            body = _CODE_ONLY.sub(_blank, source[unit.body.start : unit.body.end])
            used: list[tuple[str, str, Local]] = []
            for name, (what, local) in candidates.items():
                if name in shadowed:
                    continue
                if _USE.get(name) is None:
                    _USE[name] = re.compile(rb"(?<![\w$.])" + re.escape(name.encode()) + rb"(?![\w$]|\s*:(?!:))")
                if _USE[name].search(body):
                    used.append((name, what, local))
            if not used:
                continue
            names = ", ".join(f"`{name}` ({what})" for name, what, _ in used[:3])
            action = f"`{unit.name}`" if unit.name else "This inline action"
            where = f" of `{enclosing.name}`" if enclosing.name else ""
            message = (
                f"{action} closes over {names}{where}: Next.js sends closed-over values to the browser "
                "(encrypted) and back with every call. Read them again inside the action, or pass only ids."
            )
            related = tuple(
                Related(path, local.span, f"`{name}` is {what}, bound in the enclosing function")
                for name, what, local in used
            )
            yield Finding(self.code, self.name, self.severity, message, path, unit.report, related)

    @staticmethod
    def _sensitive_locals(analysis: Analysis, path: Path, enclosing: Unit) -> dict[str, tuple[str, Local]]:
        """The enclosing function's variables that hold a session, a record, a secret or a token."""
        found: dict[str, tuple[str, Local]] = {}
        if enclosing.kind == "module" or not enclosing.locals:
            return found
        flow = analysis.summaries.flow(path, enclosing.index)
        for local, event in flow.auth_locals:
            for name in local.names:
                found.setdefault(name, (f"the result of `{event.label}`", local))
        by_name = {name: local for local in enclosing.locals for name in local.names}
        for name in flow.records:
            record = by_name.get(name)
            if record is not None:
                found.setdefault(name, ("a record read from the database", record))
        secrets = [
            (span, env)
            for env, span in enclosing.env_reads
            if not env.startswith(vocab.PUBLIC_ENV_PREFIX) and vocab.SECRET_ENV.search(env)
        ]
        for local in enclosing.locals:
            for name in local.names:
                if name in found:
                    continue
                init = local.init
                secret = next(
                    (env for span, env in secrets if init is not None and init.start <= span.start < init.end), None
                )
                if secret is not None:
                    found[name] = (f"the secret `process.env.{secret}`", local)
                elif sensitive_name(name):
                    found[name] = ("named like a credential", local)
        return found


# Strings (templates without substitutions) and comments, whose words are not uses of names.
_CODE_ONLY = re.compile(
    rb"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|`(?:[^`\\$]|\\.|\$(?!\{))*`|//[^\n]*|/\*.*?\*/", re.DOTALL
)


def _blank(match: re.Match[bytes]) -> bytes:
    return b" " * (match.end() - match.start())


# The pattern that finds a use of a name: not a property (`x.name`), not an object key (`name:`).
_USE: dict[str, re.Pattern[bytes]] = {}
