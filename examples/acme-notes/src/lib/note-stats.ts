// Deliberate mistake for the demo: read helpers for Server Components marked 'use server', which
// makes each export a public POST endpoint (NG207). The fix puts `import 'server-only'` here.
'use server'; // expect: NG207

import { db } from '@/lib/db';
import { verifySession } from '@/lib/dal';

export async function getNoteStats() {
  const { userId } = await verifySession();
  const [total, pinned] = await Promise.all([
    db.note.count({ where: { authorId: userId } }),
    db.note.count({ where: { authorId: userId, pinned: true } }),
  ]);
  return { total, pinned };
}
