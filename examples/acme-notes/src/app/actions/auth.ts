'use server';

// Sign-in, sign-up and sign-out are public by nature: there is no session to check yet.
// nextguard recognises them by what they call (createSession / deleteSession).

import bcrypt from 'bcryptjs';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { db } from '@/lib/db';
import { LoginSchema, SignupSchema, type FormState } from '@/lib/definitions';
import { createSession, deleteSession } from '@/lib/session';

export async function login(state: FormState, formData: FormData): Promise<FormState> { // expect: NG303
  const parsed = LoginSchema.safeParse({
    email: formData.get('email'),
    password: formData.get('password'),
  });
  if (!parsed.success) {
    return { errors: z.flattenError(parsed.error).fieldErrors };
  }

  const user = await db.user.findUnique({
    where: { email: parsed.data.email },
    select: { id: true, passwordHash: true },
  });
  const ok = user ? await bcrypt.compare(parsed.data.password, user.passwordHash) : false;
  if (!user || !ok) {
    return { message: 'Invalid email or password.' };
  }

  await createSession(user.id);
  redirect('/dashboard');
}

export async function signup(state: FormState, formData: FormData): Promise<FormState> { // expect: NG303
  const parsed = SignupSchema.safeParse({
    name: formData.get('name'),
    email: formData.get('email'),
    password: formData.get('password'),
  });
  if (!parsed.success) {
    return { errors: z.flattenError(parsed.error).fieldErrors };
  }

  const { name, email, password } = parsed.data;
  const existing = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (existing) {
    return { message: 'An account with this email already exists.' };
  }

  const passwordHash = await bcrypt.hash(password, 10);
  const user = await db.user.create({
    data: { name, email, passwordHash },
    select: { id: true },
  });

  await createSession(user.id);
  redirect('/dashboard');
}

export async function logout() {
  await deleteSession();
  redirect('/login');
}
