import 'server-only';
import { createSafeActionClient, DEFAULT_SERVER_ERROR_MESSAGE } from 'next-safe-action';
import { z } from 'zod';
import { verifySession } from '@/lib/dal';

/** Errors whose message is safe to show to the user. */
export class ActionError extends Error {}

// Public client: validation, error handling and metadata, but no auth.
export const actionClient = createSafeActionClient({
  defineMetadataSchema() {
    return z.object({ actionName: z.string() });
  },
  handleServerError(e) {
    if (e instanceof ActionError) return e.message;
    console.error('Action error:', e.message);
    return DEFAULT_SERVER_ERROR_MESSAGE;
  },
});

// Authenticated client: the middleware runs before every action built on it.
export const authActionClient = actionClient.use(async ({ next }) => {
  const session = await verifySession();
  return next({ ctx: { userId: session.userId } });
});
