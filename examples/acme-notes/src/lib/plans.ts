import 'server-only';
import { db } from '@/lib/db';

// Plan lookups for Server Components, and the labels the UI shows for each plan.

export async function getPlanFor(userId: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: { plan: true } });
  return user?.plan ?? 'FREE';
}

export function planLabel(plan: string) {
  return plan === 'PRO' ? 'Pro' : 'Free';
}
