import type { Metadata } from 'next';

export const metadata: Metadata = {
  title: 'Acme Notes',
  description: 'Take notes. Keep them yours.',
};

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
