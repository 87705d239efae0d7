import { db } from '@/lib/db';

// Deliberate mistake for the demo: this page reads notes with no check of its own and relies on
// the dashboard layout's redirect (NG109), which does not run again on client-side navigation.
// (It also lists every author's archived notes: it should go through the DAL's getNotes.) The
// fix inserts `verifySession()` at the top of the component.
export default async function ArchivePage() { // expect: NG109
  const notes = await db.note.findMany({
    where: { archived: true },
    select: { id: true, title: true },
  });

  return (
    <main>
      <h1>Archive</h1>
      <ul>
        {notes.map((note) => (
          <li key={note.id}>{note.title}</li>
        ))}
      </ul>
    </main>
  );
}
