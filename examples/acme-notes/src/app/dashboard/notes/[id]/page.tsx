import { notFound } from 'next/navigation';
import { archiveNote, deleteNote } from '@/app/actions/notes';
import { EditNoteForm } from '@/components/note-form';
import { getNote, markNoteViewed } from '@/lib/dal';

export default async function NotePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // getNote() verifies the session and the ownership of the note.
  const note = await getNote(id);
  if (!note) notFound();
  // Deliberate mistake for the demo: rendering a page is a GET, and a GET must not change data
  // (NG107): a prefetch, a crawler or an <img> on another site would mark the note as viewed.
  await markNoteViewed(note.id); // expect: NG107

  return (
    <main>
      <EditNoteForm note={note} />
      <form action={archiveNote}>
        <input type="hidden" name="id" value={note.id} />
        <button type="submit">Archive</button>
      </form>
      <form action={deleteNote}>
        <input type="hidden" name="id" value={note.id} />
        <button type="submit">Delete</button>
      </form>
    </main>
  );
}
