import 'server-only';
import { createServerClient } from '@supabase/ssr';
import { cookies } from 'next/headers';

// The team's previous notes app ran on Supabase; signed-in users can still import from it while
// the migration lasts.
export async function createLegacyClient() {
  const cookieStore = await cookies();
  return createServerClient(process.env.LEGACY_SUPABASE_URL!, process.env.LEGACY_SUPABASE_ANON_KEY!, {
    cookies: {
      getAll: () => cookieStore.getAll(),
      setAll: (all) => all.forEach(({ name, value, options }) => cookieStore.set(name, value, options)),
    },
  });
}
