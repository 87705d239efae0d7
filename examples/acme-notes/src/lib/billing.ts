// Billing helpers: the Stripe client, plan lookups, and the webhook's subscription sync.
//
// Deliberate mistake for the demo: this module reads STRIPE_SECRET_KEY and queries the database,
// but does not `import 'server-only'`, so nothing stops a Client Component from importing it
// (NG203 — the fix inserts the import above this line).
import Stripe from 'stripe'; // expect: NG203
import { db } from '@/lib/db';

export const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);

export async function getPlan(userId: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: { plan: true } });
  return user?.plan ?? 'FREE';
}

export async function syncSubscription(customerId: string, status: Stripe.Subscription.Status) {
  await db.user.updateMany({
    where: { stripeCustomerId: customerId },
    data: { plan: status === 'active' || status === 'trialing' ? 'PRO' : 'FREE' },
  });
}
