'use server';

import { revalidatePath } from 'next/cache';
import { getAccount } from '@/lib/account';
import { verifySession } from '@/lib/dal';
import { db } from '@/lib/db';

// Deliberate mistake (NG201): the whole user row — password hash included — goes back to the
// browser. The settings card reads `name` and `email`: the fixes return only those, or `toUserDTO`.
export async function getProfile() {
  const session = await verifySession();
  const user = await db.user.findUnique({ where: { id: session.userId } });
  if (!user) throw new Error('Not found');
  return user; // expect: NG201
}

// Deliberate mistake (NG201): the updated row is returned, but the only caller is a
// `<form action>` that never reads it: the fix returns `{ success: true }` (the update still runs).
export async function updateDisplayName(formData: FormData) { // expect: NG301
  const session = await verifySession();
  const name = String(formData.get('name') ?? '').slice(0, 80);
  revalidatePath('/dashboard');
  return await db.user.update({ where: { id: session.userId }, data: { name } }); // expect: NG201
}

// Deliberate mistake (NG201), across files: `getAccount` in the DAL reads the user without a select.
export async function loadAccount() {
  return getAccount(); // expect: NG201
}

// Clean: a select without secrets, and a count.
export async function getPlan() {
  const session = await verifySession();
  return db.user.findUnique({ where: { id: session.userId }, select: { plan: true } });
}

export async function countNotes() {
  const session = await verifySession();
  return db.note.count({ where: { authorId: session.userId } });
}
