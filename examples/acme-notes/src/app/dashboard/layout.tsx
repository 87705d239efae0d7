import Link from 'next/link';
import { redirect } from 'next/navigation';
import { logout } from '@/app/actions/auth';
import { getUser } from '@/lib/dal';

// Deliberate mistake for the demo: the auth check/redirect lives in a layout (NG108). Layouts do
// not re-render on client-side navigation, so this check does not run again when moving between
// dashboard pages. Most pages below call the DAL themselves, which is what actually protects
// them; the archive page does not (NG109).
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await getUser();
  if (!user) {
    redirect('/login'); // expect: NG108
  }

  return (
    <div>
      <nav>
        <Link href="/dashboard">Notes</Link>
        <span>Signed in as {user.name ?? user.email}</span>
        <form action={logout}>
          <button type="submit">Sign out</button>
        </form>
      </nav>
      {children}
    </div>
  );
}
