'use client';

import { useTransition } from 'react';
import { archiveNote } from '@/app/actions/notes';

// Deliberate mistake for the demo: Promise.all reads as parallel, but the client dispatches Server
// Actions one at a time, so archiving 50 notes is 50 round trips in a row (NG402). One
// `archiveNotes(ids)` action would do it in one request and one query.
export function BulkArchive({ ids }: { ids: string[] }) {
  const [pending, startTransition] = useTransition();
  return (
    <button
      disabled={pending}
      onClick={() =>
        startTransition(async () => {
          await Promise.all( // expect: NG402
            ids.map((id) => {
              const formData = new FormData();
              formData.set('id', id);
              return archiveNote(formData);
            }),
          );
        })
      }
    >
      Archive selected
    </button>
  );
}
