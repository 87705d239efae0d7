'use server';

import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { recordAudit } from '@/lib/audit';
import { deleteNoteForUser, isNoteOwner, updateNoteForUser, verifySession } from '@/lib/dal';
import { db } from '@/lib/db';
import { CreateNoteSchema, UpdateNoteSchema, type FormState } from '@/lib/definitions';
import { authActionClient } from '@/lib/safe-action';

// Protected by the authenticated action client: its .use() middleware calls verifySession().
export const createNote = authActionClient
  .metadata({ actionName: 'createNote' })
  .inputSchema(CreateNoteSchema)
  .action(async ({ parsedInput: { title, body }, ctx: { userId } }) => {
    const note = await db.note.create({
      data: { title, body, authorId: userId },
      select: { id: true },
    });
    await recordAudit(userId, 'note.create', note.id);
    revalidatePath('/dashboard');
    return { id: note.id };
  });

// Used with useActionState by the edit form. Auth and ownership live in the DAL.
export async function updateNote(state: FormState, formData: FormData): Promise<FormState> {
  await verifySession();
  const parsed = UpdateNoteSchema.safeParse({
    id: formData.get('id'),
    title: formData.get('title'),
    body: formData.get('body'),
  });
  if (!parsed.success) {
    return { errors: z.flattenError(parsed.error).fieldErrors };
  }

  const { id, ...data } = parsed.data;
  await updateNoteForUser(id, data);
  revalidatePath(`/dashboard/notes/${id}`);
  return { message: 'Saved.' };
}

// The note id comes from the client, but deleteNoteForUser() verifies the session and checks
// ownership before deleting.
export async function deleteNote(formData: FormData) { // expect: NG301
  const id = formData.get('id') as string;
  await deleteNoteForUser(id);
  revalidatePath('/dashboard');
  redirect('/dashboard');
}

// Deliberate mistake for the demo: no auth check (NG101). The page that renders the Archive
// button is protected, but this action is its own POST endpoint: anyone can archive any note.
// And even with a check, the update is keyed by the client's id alone (NG104).
export async function archiveNote(formData: FormData) { // expect: NG101 NG301
  const id = formData.get('id') as string;
  await db.note.update({ where: { id }, data: { archived: true } }); // expect: NG104
  revalidatePath('/dashboard');
}

const ExportSchema = z.object({
  authorId: z.string().cuid(),
  format: z.enum(['csv', 'markdown']).default('csv'),
});

// Deliberate mistake for the demo: the input is validated with zod, but there is no auth check
// (NG101 — validation is not authorization). Any caller can export anyone's notes by id.
export async function exportNotes(input: z.input<typeof ExportSchema>) { // expect: NG101
  const parsed = ExportSchema.safeParse(input);
  if (!parsed.success) {
    return { error: 'Invalid export request.' };
  }

  const notes = await db.note.findMany({
    where: { authorId: parsed.data.authorId },
    select: { title: true, body: true, createdAt: true },
    orderBy: { createdAt: 'asc' },
  });

  if (parsed.data.format === 'markdown') {
    return { file: notes.map((n) => `# ${n.title}\n\n${n.body}\n`).join('\n') };
  }
  return {
    file: notes
      .map((n) => [n.createdAt.toISOString(), n.title, n.body].map((v) => JSON.stringify(v)).join(','))
      .join('\n'),
  };
}

// Deliberate mistake for the demo: authenticated, but the update is keyed by the client-supplied
// id with no owner scoping, so a signed-in user can pin anyone's note (NG104 — the unsafe fix adds
// `authorId: ctx.userId` to the `where`).
export const togglePinned = authActionClient
  .metadata({ actionName: 'togglePinned' })
  .inputSchema(z.object({ id: z.string().cuid(), pinned: z.boolean() }))
  .action(async ({ parsedInput: { id, pinned } }) => {
    await db.note.update({ where: { id }, data: { pinned } }); // expect: NG104
    revalidatePath('/dashboard');
    return { pinned };
  });

// Deliberate mistake (NG201): owner-scoped and authenticated, but it returns the raw Prisma record
// (every column) to the client instead of a DTO. The quick fix passes it through `toNoteDTO`.
export const renameNote = authActionClient
  .metadata({ actionName: 'renameNote' })
  .inputSchema(z.object({ id: z.string().cuid(), title: z.string().trim().min(1).max(200) }))
  .action(async ({ parsedInput: { id, title }, ctx: { userId } }) => {
    const note = await db.note.update({ where: { id, authorId: userId }, data: { title } });
    revalidatePath('/dashboard');
    return note; // expect: NG201
  });

// Deliberate mistake for the demo: it does check the session, but only after reading the note
// (NG102): whatever runs before the check runs for anyone. The unsafe fix moves the check up.
export async function duplicateNote(id: string) { // expect: NG102 NG301
  const original = await db.note.findUnique({ where: { id }, select: { title: true, body: true } });
  const session = await verifySession();
  if (!original) return { error: 'Not found.' };
  const copy = await db.note.create({
    data: { title: `${original.title} (copy)`, body: original.body, authorId: session.userId },
    select: { id: true },
  });
  revalidatePath('/dashboard');
  return { id: copy.id };
}

// Deliberate mistake for the demo: "transfer a note" takes the new owner straight from the form
// (NG105): a user can push notes into anyone's account. The fix takes the owner from the session.
export async function transferNote(formData: FormData) { // expect: NG301
  const session = await verifySession();
  const id = formData.get('id') as string;
  await db.note.updateMany({
    where: { id, authorId: session.userId },
    data: { authorId: formData.get('newOwnerId') as string }, // expect: NG105
  });
  revalidatePath('/dashboard');
}

// Deliberate mistake for the demo: `isNoteOwner` is async and is tested without `await` (NG112).
// A Promise is always truthy, so `!isNoteOwner(id)` is always false: the check never fails.
export async function restoreNote(id: string) { // expect: NG301
  if (!isNoteOwner(id)) { // expect: NG112
    throw new Error('Not found');
  }
  await db.note.update({ where: { id }, data: { archived: false } });
  revalidatePath('/dashboard');
}

// Deliberate mistake for the demo: the permission comes from the list frozen into the session
// cookie at sign-in (NG114): revoking `notes:purge` does not take effect until the session expires.
export async function purgeArchivedNotes() {
  const session = await verifySession();
  if (!session.permissions.includes('notes:purge')) { // expect: NG114
    throw new Error('Forbidden');
  }
  await db.note.deleteMany({ where: { authorId: session.userId, archived: true } });
  revalidatePath('/dashboard');
}
