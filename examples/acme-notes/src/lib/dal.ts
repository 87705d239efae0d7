import 'server-only';
import { cache } from 'react';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { db } from '@/lib/db';
import { decrypt } from '@/lib/session';

// The Data Access Layer: every read and write of user data goes through here, and every
// function here checks the session first.

export const verifySession = cache(async () => {
  const cookie = (await cookies()).get('session')?.value;
  const session = await decrypt(cookie);

  if (!session?.userId) {
    redirect('/login');
  }

  return { isAuth: true, userId: session.userId, permissions: session.permissions ?? [] };
});

export const getUser = cache(async () => {
  const session = await verifySession();
  return db.user.findUnique({
    where: { id: session.userId },
    select: { id: true, name: true, email: true, plan: true },
  });
});

export const getNotes = cache(async () => {
  const session = await verifySession();
  return db.note.findMany({
    where: { authorId: session.userId, archived: false },
    select: { id: true, title: true, pinned: true, updatedAt: true },
    orderBy: [{ pinned: 'desc' }, { updatedAt: 'desc' }],
  });
});

export const getNote = cache(async (id: string) => {
  const session = await verifySession();
  const note = await db.note.findUnique({
    where: { id },
    select: { id: true, title: true, body: true, pinned: true, authorId: true },
  });
  // Same answer for "missing" and "not yours".
  if (!note || note.authorId !== session.userId) {
    return null;
  }
  return { id: note.id, title: note.title, body: note.body, pinned: note.pinned };
});

export async function updateNoteForUser(id: string, data: { title: string; body: string }) {
  const session = await verifySession();
  const note = await db.note.findUnique({ where: { id }, select: { authorId: true } });
  if (!note || note.authorId !== session.userId) {
    throw new Error('Not found');
  }
  await db.note.update({ where: { id }, data });
}

export async function deleteNoteForUser(id: string) {
  const session = await verifySession();
  const note = await db.note.findUnique({ where: { id }, select: { authorId: true } });
  if (!note || note.authorId !== session.userId) {
    throw new Error('Not found');
  }
  await db.note.delete({ where: { id } });
}

export async function isNoteOwner(id: string) {
  const session = await verifySession();
  const note = await db.note.findFirst({ where: { id, authorId: session.userId }, select: { id: true } });
  return note !== null;
}

export async function markNoteViewed(id: string) {
  await db.note.updateMany({ where: { id }, data: { viewedAt: new Date() } });
}
