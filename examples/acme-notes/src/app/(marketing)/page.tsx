import Link from 'next/link';
import { NewsletterForm } from '@/components/newsletter-form';

export default function HomePage() {
  return (
    <main>
      <h1>Acme Notes</h1>
      <p>Fast, private notes for small teams.</p>
      <p>
        <Link href="/login">Sign in</Link> to get started.
      </p>
      <section>
        <h2>Product updates</h2>
        <NewsletterForm />
      </section>
    </main>
  );
}
