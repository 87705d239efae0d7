// Audit trail for note changes.
// Deliberate mistake for the demo: a bare 'server-only' string is not an import and protects
// nothing (NG208 — the fix rewrites it as `import 'server-only';`).
'server-only'; // expect: NG208

import { db } from '@/lib/db';

export async function recordAudit(userId: string, action: string, target?: string) {
  await db.auditLog.create({ data: { userId, action, target } });
}
