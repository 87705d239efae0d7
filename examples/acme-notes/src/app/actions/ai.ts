'use server';

import { openai } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { getNote } from '@/lib/dal';

// Deliberate mistakes for the demo: the note id goes to the DAL as the client sent it, with no
// schema (NG301: getNote checks the owner, but an id that is not a string still reaches Prisma),
// and every call is a paid model request that anyone signed in can repeat in a loop (NG303).
export async function summarizeNote(noteId: string) { // expect: NG301 NG303
  const note = await getNote(noteId);
  if (!note) {
    return { error: 'Not found' };
  }
  const { text } = await generateText({ model: openai('gpt-4o-mini'), prompt: `Summarize:\n\n${note.body}` });
  return { summary: text };
}
