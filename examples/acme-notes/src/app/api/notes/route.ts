import { type NextRequest } from 'next/server';
import { db } from '@/lib/db';
import { CreateNoteSchema } from '@/lib/definitions';
import { getSession } from '@/lib/session';

// Deliberate mistake for the demo: a GET route handler that reads notes with no auth check at
// all (NG106) — any caller can list any author's notes by passing ?authorId=. The fix inserts the
// project's own `verifySession()` (src/lib/dal.ts), which redirects to /login without a session.
export async function GET(request: NextRequest) { // expect: NG106
  const authorId = request.nextUrl.searchParams.get('authorId');
  if (!authorId) {
    return Response.json({ error: 'authorId is required' }, { status: 400 });
  }

  const notes = await db.note.findMany({
    where: { authorId, archived: false },
    select: { id: true, title: true, updatedAt: true },
  });
  return Response.json(notes);
}

export async function POST(request: Request) {
  const session = await getSession();
  if (!session) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 });
  }

  const parsed = CreateNoteSchema.safeParse(await request.json());
  if (!parsed.success) {
    return Response.json({ error: 'Invalid note' }, { status: 400 });
  }

  const note = await db.note.create({
    data: { ...parsed.data, authorId: session.userId },
    select: { id: true },
  });
  return Response.json(note, { status: 201 });
}
