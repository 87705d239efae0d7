import { db } from '@/lib/db';
import { createLegacyClient } from '@/lib/legacy-supabase';
import { verifySession } from '@/lib/dal';

// Deliberate mistake for the demo: on the server, Supabase's `auth.getSession()` returns whatever
// the cookie says without verifying it (NG110), so a forged cookie picks whose legacy notes get
// imported. The fix switches to `auth.getUser()`, which asks Supabase Auth.
export async function POST() {
  const { userId } = await verifySession();
  const legacy = await createLegacyClient();
  const {
    data: { session },
  } = await legacy.auth.getSession(); // expect: NG110
  if (!session) {
    return Response.json({ error: 'Sign in to the old app first.' }, { status: 401 });
  }
  const { data: rows } = await legacy.from('notes').select('title, body').eq('user_id', session.user.id);
  await db.note.createMany({
    data: (rows ?? []).map((row) => ({ title: String(row.title), body: String(row.body), authorId: userId })),
  });
  return Response.json({ imported: rows?.length ?? 0 });
}
