'use server';

import { revalidateTag } from 'next/cache';
import { z } from 'zod';
import { verifySession } from '@/lib/dal';
import { db } from '@/lib/db';

const QuickRenameSchema = z.object({ id: z.string().cuid(), title: z.string().trim().min(1).max(200) });

// Deliberate mistakes for the demo, in an action that is otherwise right (authenticated, scoped):
// `parse` throws on bad input, so the form shows a generic error instead of field errors (NG302;
// the fix rewrites it to safeParse with an early return), and `revalidateTag` only marks the
// notes stale, so the user who just renamed a note still sees the old title (NG401; the fix calls
// updateTag instead).
export async function quickRename(formData: FormData) {
  const session = await verifySession();
  const input = QuickRenameSchema.parse({ id: formData.get('id'), title: formData.get('title') }); // expect: NG302
  await db.note.updateMany({ where: { id: input.id, authorId: session.userId }, data: { title: input.title } });
  revalidateTag('notes', 'max'); // expect: NG401
}
