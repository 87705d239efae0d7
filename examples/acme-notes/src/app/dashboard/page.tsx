import Link from 'next/link';
import { NewNoteForm } from '@/components/note-form';
import { getPlan } from '@/lib/billing';
import { getNotes, verifySession } from '@/lib/dal';

export default async function DashboardPage() {
  const session = await verifySession();
  const [notes, plan] = await Promise.all([getNotes(), getPlan(session.userId)]);

  return (
    <main>
      <h1>Your notes</h1>
      <p>Plan: {plan}</p>
      <NewNoteForm />
      <ul>
        {notes.map((note) => (
          <li key={note.id}>
            {note.pinned ? '📌 ' : ''}
            <Link href={`/dashboard/notes/${note.id}`}>{note.title}</Link>
          </li>
        ))}
      </ul>
    </main>
  );
}
