import { headers } from 'next/headers';
import { db } from '@/lib/db';

// Deliberate mistake for the demo: the user id comes from an `x-user-id` header "that the
// middleware sets" (NG111). The middleware's matcher only covers /dashboard, so on this path the
// client's own header goes straight through. The fix asks the session instead.
export async function GET() { // expect: NG106
  const userId = (await headers()).get('x-user-id'); // expect: NG111
  if (!userId) {
    return Response.json({ error: 'Unauthorized' }, { status: 401 });
  }
  const notes = await db.note.findMany({
    where: { authorId: userId },
    select: { title: true, body: true },
  });
  return Response.json(notes);
}
