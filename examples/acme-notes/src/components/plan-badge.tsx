'use client';

import { useState } from 'react';
// Deliberate mistake for the demo: a Client Component imports a label helper from a module that
// queries the database and imports 'server-only' (NG204): the build fails, and without
// 'server-only' the module would ship to the browser. Move planLabel to a module of its own.
import { planLabel } from '@/lib/plans'; // expect: NG204

export function PlanBadge({ plan }: { plan: string }) {
  const [hover, setHover] = useState(false);
  return (
    <span onMouseEnter={() => setHover(true)} onMouseLeave={() => setHover(false)}>
      {planLabel(plan)}
      {hover ? ' plan' : ''}
    </span>
  );
}
