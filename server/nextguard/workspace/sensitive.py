"""Which functions make calls worth rate-limiting, and which call a rate limiter: both read off
what a function calls, transitively through the workspace functions it calls and the wrappers its
binding is wrapped in.

A *sensitive* call costs money or reaches someone per request, or lets a caller guess credentials:
a sign-in, sign-up or password-reset API, a password-hash comparison, a mail or SMS send, a Stripe
checkout or payment intent, a call to a language model. Calls are recognised by the package their
root comes from (followed through the workspace's own `new Resend(key)` clients), by their
distinctive method chains, and by config `sensitiveCalls`. A *limiter* is an import from a
rate-limiting package, a call whose name says so (`ratelimit.limit`, `rateLimit(...)`,
`limiter.consume`, `throttle(...)`), or config `rateLimiters`.

Both answers are memoised per workspace update (``index.memo``) and computed in one pass over each
function's calls, so a check costs O(units) however many actions share a DAL function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..facts.model import Call
from .calls import Kind, label_of
from .index import Target, WorkspaceIndex
from .resolve import ModuleResolver
from .summaries import Step, Summaries

# Sign-in, sign-up and password-reset APIs: each request guesses a password, mails a link or
# creates an account. (`signOut`, OAuth code exchange and session setters are not in the list:
# nothing is guessed or sent.)
CREDENTIAL_CALLS = frozenset(
    {
        "signIn",
        "signUp",
        "signInWithPassword",
        "signInWithOtp",
        "signInEmail",
        "signUpEmail",
        "signInUsername",
        "signInMagicLink",
        "sendVerificationEmail",
        "sendVerificationOtp",
        "resetPasswordForEmail",
        "forgetPassword",
        "resetPassword",
        "requestPasswordReset",
        "sendPasswordResetEmail",
        "verifyOtp",
        "createUserWithEmailAndPassword",
        "signInWithEmailAndPassword",
    }
)
# `signIn(provider)` of Auth.js: an OAuth provider redirects (nothing is guessed or sent); the
# credentials and e-mail providers check a password or send a link.
_EMAIL_OR_PASSWORD_PROVIDERS = frozenset(
    {"credentials", "email", "resend", "nodemailer", "sendgrid", "postmark", "forwardemail", "mailgun", "password"}
)
PASSWORD_HASH_PACKAGES = frozenset({"bcrypt", "bcryptjs", "argon2", "@node-rs/argon2", "@node-rs/bcrypt"})
_PASSWORD_CHECKS = frozenset({"compare", "compareSync", "verify"})
MESSAGE_PACKAGES = frozenset(
    {
        "resend",
        "nodemailer",
        "@sendgrid/mail",
        "postmark",
        "mailgun.js",
        "mailgun-js",
        "@aws-sdk/client-ses",
        "@aws-sdk/client-sesv2",
        "@react-email/render",
        "twilio",
        "@vonage/server-sdk",
        "@plunk/node",
        "loops",
        "@mailchimp/mailchimp_transactional",
    }
)
_MESSAGE_METHODS = re.compile(r"^(send\w*|create|batch)$")
AI_PACKAGES = frozenset({"ai", "openai", "@anthropic-ai/sdk", "@google/generative-ai", "@google/genai", "groq-sdk"})
AI_CALLS = frozenset(
    {
        "generateText",
        "streamText",
        "generateObject",
        "streamObject",
        "generateImage",
        "experimental_generateImage",
        "embed",
        "embedMany",
        "streamUI",
        "generateContent",
        "generateContentStream",
    }
)
_AI_METHODS = frozenset({"create", "stream", "generate", "generateContent", "generateContentStream"})
_STRIPE_CHARGES = (("checkout", "sessions", "create"), ("paymentIntents", "create"), ("charges", "create"))
# Kinds that say less on their own: a password hash is computed on sign-up, but also when an API key
# or an invite token is stored.
WEAK_KINDS = frozenset({"sign-up"})
LIMITER_PACKAGES = frozenset(
    {
        "@upstash/ratelimit",
        "rate-limiter-flexible",
        "@arcjet/next",
        "arcjet",
        "@unkey/ratelimit",
        "express-rate-limit",
        "next-rate-limit",
        "limiter",
        "p-throttle",
    }
)
LIMITER_NAME = re.compile(r"rate_?limit|throttl|limiter", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SensitiveCall:
    what: str  # "sign-in", "e-mail/SMS", "payment", "AI"
    trail: tuple[Step, ...]  # from the unit's own call to the sensitive call


class RateLimits:
    """Sensitive calls and limiter calls per unit, solved lazily along the call graph."""

    def __init__(self, summaries: Summaries) -> None:
        self.summaries = summaries
        self.index: WorkspaceIndex = summaries.index
        config = self.index.config
        self._sensitive_names = _names(config.sensitive_calls)
        self._limiter_names = _names(config.rate_limiters)
        self._sensitive: dict[tuple[Path, int], SensitiveCall | None] = {}
        self._limits: dict[tuple[Path, int], bool] = {}
        self._packages: dict[tuple[Path, str], str | None] = {}

    # -- what a call is -----------------------------------------------------------------------------

    def package_of(self, path: Path, chain: tuple[str, ...]) -> tuple[str | None, Target]:
        """The npm package a callee chain's root comes from, following module-level values of the
        workspace (`export const resend = new Resend(key)`) to the import they are built from."""
        target = self.index.target(path, chain)
        if target.kind == "external":
            return ModuleResolver.package_name(target.specifier) if target.specifier else None, target
        if target.kind == "binding" and target.path is not None:
            return self._binding_package(target.path, target.name), target
        return None, target

    def _binding_package(self, path: Path, name: str) -> str | None:
        key = (path, name)
        if key in self._packages:
            return self._packages[key]
        self._packages[key] = None  # cycles come from no package
        binding = self.index.binding_in(path, name)
        found: str | None = None
        if binding is not None and binding.body is None and binding.init:
            init = binding.init[1:] if binding.init[0] == "new" else binding.init
            if init and init[0] not in ("", "()"):
                origin = self.index.target(path, init[:1])
                if origin.kind == "external" and origin.specifier:
                    found = ModuleResolver.package_name(origin.specifier)
                elif origin.kind == "binding" and origin.path is not None:
                    found = self._binding_package(origin.path, origin.name)
        self._packages[key] = found
        return found

    def sensitive_kind(self, path: Path, call: Call) -> str | None:
        chain = call.chain
        if not chain or chain == ("",):
            return None
        if chain[0] == "new":
            return None
        last = chain[-1]
        if _configured(chain, self._sensitive_names):
            return "configured"
        package, target = self.package_of(path, chain)
        if target.kind == "member" and not target.rest:
            return None  # a workspace function: judged by what it calls
        if target.kind == "binding" and not target.rest and target.path is not None:
            binding = self.index.binding_in(target.path, target.name)
            if binding is not None and binding.body is not None:
                return None  # a workspace function: judged by what it calls
        if last in CREDENTIAL_CALLS:
            if last == "signIn" and call.string_arg is not None and call.string_arg not in _EMAIL_OR_PASSWORD_PROVIDERS:
                return None
            return "sign-in"
        if package in PASSWORD_HASH_PACKAGES and last in _PASSWORD_CHECKS:
            return "sign-in"
        if package in PASSWORD_HASH_PACKAGES and last in ("hash", "hashSync"):
            return "sign-up"
        if package in MESSAGE_PACKAGES and _MESSAGE_METHODS.match(last):
            return "e-mail/SMS"
        stripe = package == "stripe" or "stripe" in chain[0].lower()
        if stripe and any(_ends_with(chain, charge) for charge in _STRIPE_CHARGES):
            return "payment"
        if last in AI_CALLS and (package is None or package in AI_PACKAGES or package.startswith("@ai-sdk/")):
            return "AI"
        if package in AI_PACKAGES and last in _AI_METHODS and len(chain) >= 3:
            return "AI"
        return None

    def is_limiter(self, path: Path, chain: tuple[str, ...]) -> bool:
        if not chain or chain == ("",):
            return False
        if _configured(chain, self._limiter_names):
            return True
        if any(LIMITER_NAME.search(part) for part in chain if part not in ("()", "[]", "new")):
            return True
        package, _ = self.package_of(path, chain)
        return package in LIMITER_PACKAGES

    # -- along the call graph ------------------------------------------------------------------------

    def sensitive(self, path: Path, index: int) -> SensitiveCall | None:
        """The first sensitive call a unit makes, itself or through the workspace functions it
        calls."""
        key = (path, index)
        if key in self._sensitive:
            return self._sensitive[key]
        self._sensitive[key] = None  # a cycle contributes nothing
        facts = self.index.modules[path]
        unit = facts.units[index]
        summary = self.summaries.unit(path, index)
        callees = {(e.span.start, e.span.end): e for e in summary.events if e.kind is Kind.CALL}
        found: SensitiveCall | None = None
        weak: SensitiveCall | None = None
        for call in unit.calls:
            step = Step(path, call.span, label_of(call.chain))
            kind = self.sensitive_kind(path, call)
            candidate: SensitiveCall | None = None
            if kind is not None:
                candidate = SensitiveCall(kind, (step,))
            else:
                event = callees.get((call.span.start, call.span.end))
                if event is not None and event.callee is not None:
                    callee = self.summaries.callee_unit(event.callee)
                    inner = self.sensitive(*callee) if callee is not None and callee in self.summaries.units else None
                    if inner is not None:
                        candidate = SensitiveCall(inner.what, (step, *inner.trail))
            if candidate is not None and candidate.what in WEAK_KINDS:
                weak = weak or candidate  # hashing a password: a sign-up only if nothing stronger shows
            elif candidate is not None:
                found = candidate
                break
        found = found or weak
        self._sensitive[key] = found
        return found

    def limits(self, path: Path, index: int) -> bool:
        """Whether a unit calls a rate limiter, itself or through the workspace functions it calls."""
        key = (path, index)
        if key in self._limits:
            return self._limits[key]
        self._limits[key] = False
        facts = self.index.modules[path]
        unit = facts.units[index]
        summary = self.summaries.unit(path, index)
        result = any(self.is_limiter(path, call.chain) for call in unit.calls)
        if not result:
            for event in summary.events:
                if event.kind is Kind.CALL and event.callee is not None:
                    callee = self.summaries.callee_unit(event.callee)
                    if callee is not None and callee in self.summaries.units and self.limits(*callee):
                        result = True
                        break
        self._limits[key] = result
        return result

    def wrapper_limits(
        self,
        path: Path,
        chain_units: tuple[int, ...],
        chain_refs: tuple[tuple[str, ...], ...],
        seen: set[tuple[Path, str]] | None = None,
    ) -> bool:
        """Whether the wrappers of an action's binding (an action client's middleware, a HOF)
        rate-limit before its body runs."""
        seen = set() if seen is None else seen
        if any(self.limits(path, unit) for unit in chain_units):
            return True
        for ref in chain_refs:
            if self.is_limiter(path, ref):
                return True
            target = self.index.target(path, ref[:1])
            if target.kind != "binding" or target.path is None or (target.path, target.name) in seen:
                continue
            seen.add((target.path, target.name))
            binding = self.index.binding_in(target.path, target.name)
            if binding is None:
                continue
            if binding.body is not None and self.limits(target.path, binding.body):
                return True
            if self.wrapper_limits(target.path, binding.chain_units, binding.chain_refs, seen):
                return True
        return False


def rate_limits(summaries: Summaries) -> RateLimits:
    """The workspace's answers, shared by every file's check until the next update."""
    memo = summaries.index.memo
    found = memo.get("rate-limits")
    if not isinstance(found, RateLimits):
        found = RateLimits(summaries)
        memo["rate-limits"] = found
    return found


def _names(entries: tuple[str, ...]) -> list[tuple[str, ...]]:
    # module#export entries are matched by their export name: a limiter or mailer is rarely
    # imported under another name.
    return [tuple(entry.rpartition("#")[2].split(".")) for entry in entries]


def _configured(chain: tuple[str, ...], names: list[tuple[str, ...]]) -> bool:
    return any(_ends_with(chain, name) for name in names)


def _ends_with(chain: tuple[str, ...], suffix: tuple[str, ...]) -> bool:
    parts = tuple(part for part in chain if part not in ("()", "[]"))
    return len(parts) >= len(suffix) and parts[-len(suffix) :] == suffix


__all__ = ["RateLimits", "SensitiveCall", "rate_limits"]
