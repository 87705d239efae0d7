import Link from 'next/link';
import { redirect } from 'next/navigation';
import { logout } from '@/app/actions/auth';
import { getUser } from '@/lib/dal';

// (future rule NG108): the auth check/redirect lives in a layout. Layouts do not re-render on
// client-side navigation, so this check does not run again when moving between dashboard pages.
// The pages below call the DAL themselves, which is what actually protects them.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await getUser();
  if (!user) {
    redirect('/login');
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
