'use server';

import { z } from 'zod';
import { db } from '@/lib/db';

export type SubscribeState = { ok?: boolean; error?: string } | null;

// nextguard-public: anyone may subscribe
export async function subscribe(state: SubscribeState, formData: FormData): Promise<SubscribeState> {
  const parsed = z.string().email().safeParse(formData.get('email'));
  if (!parsed.success) {
    return { error: 'Please enter a valid email.' };
  }

  await db.subscriber.upsert({
    where: { email: parsed.data.toLowerCase() },
    create: { email: parsed.data.toLowerCase() },
    update: {},
  });
  return { ok: true };
}
