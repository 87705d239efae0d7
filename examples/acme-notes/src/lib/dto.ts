import 'server-only';

// Data Transfer Objects: what of a record may leave the server. Actions return these, never the
// Prisma records themselves.

type NoteRecord = { id: string; title: string; body: string; pinned: boolean; updatedAt: Date };
type UserRecord = { id: string; name: string | null; email: string; plan: string };

export function toNoteDTO(note: NoteRecord) {
  return { id: note.id, title: note.title, body: note.body, pinned: note.pinned, updatedAt: note.updatedAt };
}

export function toUserDTO(user: UserRecord) {
  return { id: user.id, name: user.name, plan: user.plan };
}
