// The test PostgreSQL itself: it starts as the postgres user in a temp dir, answers, survives a
// kill -9 + restart with its data, and leaves nothing behind when stopped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import pg from 'pg'
import { pgSkip, startPostgres } from './postgres-server.js'

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try { return (await c.query(sql)).rows } finally { await c.end() }
}

test('a real PostgreSQL starts, keeps its data over kill -9 + restart, and is removed on stop', { skip: pgSkip }, async () => {
  const server = await startPostgres({ fsync: false })
  try {
    const url = await server.createDatabase('helper_check')
    await query(url, 'CREATE TABLE t (v int); INSERT INTO t VALUES (7)')
    await server.kill()
    await assert.rejects(query(url, 'SELECT 1'), 'the killed server still answers')
    await server.restart()
    assert.deepEqual(await query(url, 'SELECT v FROM t'), [{ v: 7 }])
  } finally {
    await server.stop()
  }
  assert.equal(existsSync(server.dir), false, 'the temp dir is removed')
})
