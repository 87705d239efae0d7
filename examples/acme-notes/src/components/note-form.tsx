'use client';

import { useActionState, useRef } from 'react';
import { useAction } from 'next-safe-action/hooks';
import { createNote, updateNote } from '@/app/actions/notes';
import type { FormState } from '@/lib/definitions';

export function NewNoteForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, result, isExecuting } = useAction(createNote, {
    onSuccess: () => formRef.current?.reset(),
  });

  return (
    <form
      ref={formRef}
      action={(formData) =>
        execute({
          title: String(formData.get('title') ?? ''),
          body: String(formData.get('body') ?? ''),
        })
      }
    >
      <input name="title" placeholder="Title" required />
      <textarea name="body" placeholder="Write something…" />
      <button type="submit" disabled={isExecuting}>
        Add note
      </button>
      {result.validationErrors?.title?._errors?.[0] && (
        <p role="alert">{result.validationErrors.title._errors[0]}</p>
      )}
      {result.serverError && <p role="alert">{result.serverError}</p>}
    </form>
  );
}

export function EditNoteForm({ note }: { note: { id: string; title: string; body: string } }) {
  const [state, formAction, isPending] = useActionState<FormState, FormData>(updateNote, undefined);

  return (
    <form action={formAction}>
      <input type="hidden" name="id" value={note.id} />
      <input name="title" defaultValue={note.title} />
      {state?.errors?.title && <p role="alert">{state.errors.title[0]}</p>}
      <textarea name="body" defaultValue={note.body} />
      <button type="submit" disabled={isPending}>
        {isPending ? 'Saving…' : 'Save'}
      </button>
      {state?.message && <p>{state.message}</p>}
    </form>
  );
}
