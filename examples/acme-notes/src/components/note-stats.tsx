import { revalidatePath } from 'next/cache';
import { verifySession } from '@/lib/dal';
import { getNoteStats } from '@/lib/note-stats';

// A Server Component for the dashboard's sidebar.
export async function NoteStats() {
  const session = await verifySession();
  const stats = await getNoteStats();

  // Deliberate mistake for the demo: the inline action closes over the whole session, which
  // Next.js sends to the browser (encrypted) and back with every click (NG205).
  async function refresh() { // expect: NG205
    'use server';
    revalidatePath(`/dashboard?for=${session.userId}`);
  }

  return (
    <form action={refresh}>
      {stats.total} notes, {stats.pinned} pinned <button type="submit">Refresh</button>
    </form>
  );
}
