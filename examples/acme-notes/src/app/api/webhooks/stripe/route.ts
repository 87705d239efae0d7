import { headers } from 'next/headers';
import type Stripe from 'stripe';
import { stripe, syncSubscription } from '@/lib/billing';

// A webhook has no user session: it is authenticated by Stripe's signature instead.
export async function POST(request: Request) {
  const body = await request.text();
  const signature = (await headers()).get('stripe-signature');
  if (!signature) {
    return new Response('Missing signature', { status: 400 });
  }

  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(body, signature, process.env.STRIPE_WEBHOOK_SECRET!);
  } catch {
    return new Response('Invalid signature', { status: 400 });
  }

  switch (event.type) {
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      await syncSubscription(subscription.customer as string, subscription.status);
      break;
    }
    default:
      break;
  }

  return Response.json({ received: true });
}
