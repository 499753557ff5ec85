// `edgeplane store migrate|backup`: offline work on a store's database (the server is stopped for
// migrate; backup of a SQLite file may run beside a live server).
import type { Command } from 'commander'
import { backupSqlite, copyStore } from '../../store/copy.js'
import { redactUrl } from '../../store/open.js'

export function registerStore(program: Command): void {
  const store = program.command('store').description('copy a store to another database, back it up')
  store.command('migrate')
    .description('copy a whole store (offline: stop the servers first) into a new, empty database, revisions kept')
    .requiredOption('--from <url>', 'sqlite:///path/to/edgeplane.db or postgres://…')
    .requiredOption('--to <url>', 'postgres://… or sqlite:///path (must be new or empty)')
    .action(async (o: { from: string; to: string }) => {
      const s = await copyStore(o.from, o.to)
      process.stdout.write(`migrated ${s.objects} objects and ${s.log} log entries (revision ${s.revision}, compacted at ${s.compacted}) from ${redactUrl(o.from)} to ${redactUrl(o.to)}\n`)
    })
  store.command('backup')
    .description('a consistent copy of a SQLite store, taken online (SQLite backup API); for PostgreSQL use pg_dump')
    .requiredOption('--from <path>', 'the SQLite file (DATA_DIR/edgeplane.db)')
    .requiredOption('--to <file>', 'the backup file to create')
    .action(async (o: { from: string; to: string }) => {
      const path = o.from.replace(/^sqlite:(\/\/)?/, '')
      const r = await backupSqlite(path, o.to)
      process.stdout.write(`backed up ${path} to ${o.to} (${r.pages} pages)\n`)
    })
}
