import { NextResponse, type NextRequest } from 'next/server';
import { decrypt } from '@/lib/session';

// An optimistic check that keeps signed-out visitors away from the dashboard pages. It is not
// what protects the Server Actions: they POST to whatever page their form lives on, and each
// one checks the session itself (or through the DAL / the authenticated action client).
export default async function middleware(request: NextRequest) {
  const cookie = request.cookies.get('session')?.value;
  const session = await decrypt(cookie);

  if (!session?.userId) {
    return NextResponse.redirect(new URL('/login', request.nextUrl));
  }
  return NextResponse.next();
}

export const config = {
  matcher: ['/dashboard/:path*'],
};
