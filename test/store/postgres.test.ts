// The store contract against the PostgreSQL driver on a real PostgreSQL server (started by the
// test in a temp dir; a fresh database per test).
import { after, before, describe } from 'node:test'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/types.js'
import { runStoreContract } from './contract.js'
import { pgSkip, startPostgres, type PgServer } from './postgres-server.js'

let server: PgServer | undefined
let n = 0

describe('postgres', { skip: pgSkip }, () => {
  before(async () => { server = await startPostgres({ fsync: false }) })
  after(async () => { await server?.stop() })

  runStoreContract('postgres', async (): Promise<Store> => {
    const url = await server!.createDatabase(`contract_${++n}`)
    return openStore({ driver: 'postgres', url })
  })
})
