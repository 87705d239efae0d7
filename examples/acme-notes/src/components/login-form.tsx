'use client';

import { useActionState } from 'react';
import { login } from '@/app/actions/auth';

export function LoginForm() {
  const [state, formAction, isPending] = useActionState(login, undefined);

  return (
    <form action={formAction}>
      <label>
        Email
        <input type="email" name="email" autoComplete="email" required />
      </label>
      {state?.errors?.email && <p role="alert">{state.errors.email[0]}</p>}
      <label>
        Password
        <input type="password" name="password" autoComplete="current-password" required />
      </label>
      {state?.errors?.password && <p role="alert">{state.errors.password[0]}</p>}
      {state?.message && <p role="alert">{state.message}</p>}
      <button type="submit" disabled={isPending}>
        Sign in
      </button>
    </form>
  );
}
