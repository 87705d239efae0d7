'use client';

import { useActionState } from 'react';
import { subscribe } from '@/app/actions/newsletter';

export function NewsletterForm() {
  const [state, formAction, isPending] = useActionState(subscribe, null);

  if (state?.ok) return <p>Thanks! Check your inbox.</p>;

  return (
    <form action={formAction}>
      <input type="email" name="email" placeholder="you@example.com" required />
      <button type="submit" disabled={isPending}>
        Subscribe
      </button>
      {state?.error && <p role="alert">{state.error}</p>}
    </form>
  );
}
