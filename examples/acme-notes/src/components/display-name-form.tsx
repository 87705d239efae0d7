'use client';

import { updateDisplayName } from '@/app/actions/profile';

export function DisplayNameForm() {
  return (
    <form action={updateDisplayName}>
      <input name="name" placeholder="Display name" />
      <button type="submit">Save</button>
    </form>
  );
}
