"""A Server Action that signs people in, sends mail, charges cards or calls a model has no rate limit.

## What it does
Finds Server Actions that make a sensitive call — a sign-in, sign-up or password-reset API
(`signIn`, `supabase.auth.signInWithPassword`, `auth.api.signUpEmail`, a bcrypt/argon2 password
comparison), a mail or SMS send (resend, nodemailer, SendGrid, Postmark, Twilio), a Stripe checkout
session or payment intent, a language-model call (`generateText`, `streamText`,
`openai.chat.completions.create`, `anthropic.messages.create`) — themselves or through any
workspace function they call, when no rate limiter runs: no `ratelimit.limit(...)`
(`@upstash/ratelimit`), no `rateLimit(...)`/`limiter.consume(...)`/`throttle(...)` call, no
limiter in the action client's middleware or in a function the action calls. Config
`sensitiveCalls` and `rateLimiters` add names. Sign-in and sign-up actions are public by nature
(not NG101) and are reported here all the same. A password hash alone (`bcrypt.hash`) marks only
actions named like a sign-up or a password change (API keys are hashed too). Route handlers are
not reported.

## Why it matters
Every Server Action is a public POST endpoint that anyone can call in a loop, without the UI.
Without a limit, a sign-in action lets an attacker guess passwords at full speed, a sign-up or
reset action turns your mail provider into a spam cannon (and burns your sending reputation), and
an AI or checkout action runs up a bill per request. A proxy/middleware matcher does not reliably
cover actions, which POST to whatever page the form is on.

## Example
```ts
'use server'
import { resend } from '@/lib/resend'

export async function sendInvite(formData: FormData) {
  await resend.emails.send({ to: String(formData.get('email')), subject: 'Join us', html })
}
```

## Fix
Limit by who is calling (the user id, else the IP address) before the sensitive call:
```ts
'use server'
import { Ratelimit } from '@upstash/ratelimit'
import { headers } from 'next/headers'

const ratelimit = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(5, '1 m') })

export async function sendInvite(formData: FormData) {
  const ip = (await headers()).get('x-forwarded-for') ?? 'anonymous'
  const { success } = await ratelimit.limit(ip)
  if (!success) return { error: 'Too many requests' }
  await resend.emails.send({ to: String(formData.get('email')), subject: 'Join us', html })
}
```
No quick fix: where the limit lives (Redis, your database, the edge) is a decision for the
project. If your limiter has a name nextguard does not recognise, list it in `rateLimiters`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..analysis import Analysis
from ..model import Finding, Related, Severity
from ..workspace.sensitive import WEAK_KINDS, rate_limits
from .base import Rule

SIGN_UP_NAME = re.compile(r"sign[_-]?up|register|password|join|create[_-]?(user|account)", re.IGNORECASE)


class MissingRateLimit(Rule):
    code = "NG303"
    name = "missing-rate-limit"
    severity = Severity.INFO
    per_function = True

    def check(self, analysis: Analysis, path: Path) -> Iterator[Finding]:
        limits = rate_limits(analysis.summaries)
        for endpoint in analysis.endpoints(path):
            if endpoint.kind == "route":
                continue  # route handlers are another rule's business; actions are this one's
            sensitive = limits.sensitive(path, endpoint.unit.index)
            if sensitive is None:
                continue
            if sensitive.what in WEAK_KINDS and not SIGN_UP_NAME.search(endpoint.name):
                continue  # a hash stored by an action that is not a sign-up (an API key, a token)
            if limits.limits(path, endpoint.unit.index):
                continue
            binding = endpoint.binding
            if binding is not None and limits.wrapper_limits(path, binding.chain_units, binding.chain_refs):
                continue
            trail = sensitive.trail
            via = f" through `{trail[0].label}`" if len(trail) > 1 else ""
            what = "makes a sign-in or password check" if sensitive.what == "sign-in" else None
            what = what or {
                "sign-up": "creates an account or sets a password",
                "e-mail/SMS": "sends e-mail or SMS",
                "payment": "starts a payment",
                "AI": "calls an AI model",
            }.get(sensitive.what, "makes a sensitive call")
            message = (
                f"Server Action `{endpoint.name}` {what} (`{trail[-1].label}`{via}) with no rate limit: "
                "anyone can call it in a loop."
            )
            related = tuple(Related(step.path, step.span, f"sensitive call: `{step.label}`") for step in trail[1:])
            yield Finding(self.code, self.name, self.severity, message, path, endpoint.unit.report, related=related)
