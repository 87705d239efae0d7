import { db } from '@/lib/db';
import { getSession } from '@/lib/session';

// Deliberate mistake for the demo: a missing note answers 404 and someone else's note 403, so
// anyone signed in can tell which note ids exist (NG206). The fix answers 404 for both.
export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  const session = await getSession();
  if (!session) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 });
  }
  const { id } = await params;
  const note = await db.note.findUnique({ where: { id }, select: { id: true, title: true, authorId: true } });
  if (!note) {
    return Response.json({ error: 'Not found' }, { status: 404 });
  }
  if (note.authorId !== session.userId) {
    return Response.json({ error: 'Forbidden' }, { status: 403 }); // expect: NG206
  }
  return Response.json({ url: `/shared/${note.id}`, title: note.title });
}
