"""``CallClassifier.classify`` shares one classification between the calls of a file with the
same callee chain; the events must still be exactly what classifying each call alone gives,
including where the SQL text decides (a tagged template, `pool.query('…')`)."""

from __future__ import annotations

from pathlib import Path

from nextguard.config import DEFAULT_CONFIG
from nextguard.engine import build_index
from nextguard.workspace.calls import CallClassifier, Kind

SOURCE = """'use server'
import { sql } from '@vercel/postgres'
import { Pool } from 'pg'
import { db } from './db'

const pool = new Pool()

export async function a(id: string) {
  await sql`SELECT * FROM notes WHERE id = ${id}`
  await sql`DELETE FROM notes WHERE id = ${id}`
  await pool.query('select * from notes')
  await pool.query('delete from notes')
  await db.note.findMany()
  await db.note.delete({ where: { id } })
  await db.note.findMany()
}
"""


def test_shared_classification_matches_classifying_each_call(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "db.ts").write_text(
        "import { PrismaClient } from '@prisma/client'\nexport const db = new PrismaClient()\n"
    )
    actions = tmp_path / "actions.ts"
    actions.write_text(SOURCE)
    index = build_index(tmp_path, DEFAULT_CONFIG, sorted(tmp_path.glob("*.ts")), [])
    path = next(p for p in index.modules if p.name == "actions.ts")
    calls = [call for unit in index.modules[path].units for call in unit.calls]
    shared = CallClassifier(index)
    alone = CallClassifier(index)
    mutations = []
    for call in calls:
        events = shared.classify(path, call)
        assert events == alone._classify(path, call)
        mutations += [(call.chain[-1], e.mutation) for e in events if e.kind is Kind.DATA]
    # The two tagged templates and the two queries share chains but not what they do.
    assert ("sql", False) in mutations and ("sql", True) in mutations
    assert ("query", False) in mutations and ("query", True) in mutations
    assert mutations.count(("findMany", False)) == 2
