import { db } from '@/lib/db';
import { getSession } from '@/lib/session';

type Params = { params: Promise<{ id: string }> };

// Deliberate mistake for the demo: getSession() returns null when nobody is signed in, and the
// code never checks (NG103). `session?.userId` is then undefined, Prisma drops that condition, and
// the note is renamed whoever owns it. The fix inserts `if (!session)` and answers 401.
export async function PATCH(request: Request, { params }: Params) {
  const { id } = await params;
  const session = await getSession(); // expect: NG103
  const { title } = await request.json();
  await db.note.updateMany({ where: { id, authorId: session?.userId }, data: { title: String(title) } });
  return Response.json({ ok: true });
}

// Deliberate mistake for the demo: the ownership lookup runs, and its answer is never looked at
// (NG113): any signed-in user deletes any note. The fix turns it into a guard.
export async function DELETE(request: Request, { params }: Params) {
  const { id } = await params;
  const session = await getSession();
  if (!session) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 });
  }
  const owned = await db.note.findFirst({ where: { id, authorId: session.userId }, select: { id: true } }); // expect: NG113
  await db.note.delete({ where: { id } });
  return new Response(null, { status: 204 });
}
