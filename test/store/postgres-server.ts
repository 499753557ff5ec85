// The real PostgreSQL the tests start (src/store/postgres/local-server.ts). Outside CI a machine
// without the binaries skips those tests with the reason; with CI=true they fail instead.
import { findPgBin, PG_MISSING } from '../../src/store/postgres/local-server.js'

export { findPgBin, freePort, startPostgres, type PgServer, type PgServerOptions } from '../../src/store/postgres/local-server.js'

/** For node:test's `skip`: the reason outside CI, false in CI (the test then fails on the missing binaries). */
export const pgSkip: string | false = !findPgBin() && process.env.CI !== 'true' ? PG_MISSING : false
