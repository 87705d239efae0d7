import 'server-only';
import { verifySession } from '@/lib/dal';
import { db } from '@/lib/db';

// Deliberate mistake (NG202): no select, so every column of the user — `passwordHash`,
// `stripeCustomerId` — reaches every caller. The quick fix selects what the callers read.
export async function getAccount() {
  const session = await verifySession();
  const account = await db.user.findUnique({ where: { id: session.userId } }); // expect: NG202
  return account;
}
