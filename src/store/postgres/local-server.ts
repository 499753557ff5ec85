// A private PostgreSQL server (tests, benchmarks, `edgeplane demo --ha`): initdb + postgres in a
// temp dir on a free loopback port, run as the `postgres` user when we are root (initdb refuses
// root), stopped (and the dir removed) by stop(). Not for production: trust auth on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** Where initdb and postgres are: PATH first, then Debian's versioned dirs (newest first). */
export function findPgBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim()
  if (onPath) {
    // A link on PATH (e.g. /usr/local/bin/initdb) leads to the real dir, where pg_dump etc. are too.
    const real = realpathSync(onPath)
    const dir = real.slice(0, real.lastIndexOf('/'))
    if (existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'pg_ctl'))) return dir
  }
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  for (const v of versions) {
    const dir = join(base, v, 'bin')
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir
  }
  return undefined
}

export const PG_MISSING = 'PostgreSQL is not installed (apt-get install postgresql; initdb/postgres not on PATH nor in /usr/lib/postgresql/*/bin)'

export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string
  readonly port: number
  readonly dir: string
  /** A fresh database on this server; its URL. */
  createDatabase(name: string): Promise<string>
  /** kill -9 of the postmaster (its backends exit when they notice). */
  kill(): Promise<void>
  /** Starts the server again on the same port and data (after kill() or stop({ keep: true })). */
  restart(): Promise<void>
  stop(opts?: { keep?: boolean }): Promise<void>
}

export interface PgServerOptions {
  /** fsync off makes tests faster; benchmarks keep it on (the default here is on). */
  fsync?: boolean
  port?: number
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) throw new Error('running as root and there is no `postgres` user to run initdb as (useradd --system postgres)')
  return { uid, gid }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

function processesIn(cwd: string): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false
    try { return readlinkSync(`/proc/${pid}/cwd`) === cwd } catch { return false }
  })
}

export async function startPostgres(opts: PgServerOptions = {}): Promise<PgServer> {
  const bin = findPgBin()
  if (!bin) throw new Error(PG_MISSING)
  const user = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-pg-'))
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!)
  const data = join(dir, 'data')
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' }
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...user, cwd: dir, env, encoding: 'utf8' })
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`)
  }
  const port = opts.port ?? await freePort()
  let proc: ChildProcess | undefined
  let logTail = ''

  const launch = async (): Promise<void> => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`, '-c', 'max_connections=200', '-c', 'shared_buffers=32MB']
    const p = spawn(join(bin, 'postgres'), args, { ...user, cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] })
    proc = p
    p.stderr!.on('data', (b: Buffer) => { logTail = (logTail + b.toString()).slice(-4000) })
    const exited = new Promise<never>((_, reject) => p.once('exit', (code) => reject(new Error(`postgres exited (${code}) while starting: ${logTail}`))))
    exited.catch(() => undefined)
    const deadline = Date.now() + 30_000
    for (;;) {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' })
      try {
        await Promise.race([c.connect(), exited])
        await c.end()
        return
      } catch (err) {
        await c.end().catch(() => undefined)
        if (p.exitCode !== null || p.signalCode !== null || Date.now() > deadline) throw err
        await new Promise((r) => setTimeout(r, 100)) // polling a starting process: no event to wait on
      }
    }
  }

  const waitExit = (p: ChildProcess | undefined): Promise<void> =>
    !p || p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()))

  /**
   * After a kill -9 the backends outlive the postmaster for a moment, and a restart must wait for
   * them (they still hold the shared memory). Every one of them runs with the data dir as its cwd.
   */
  const waitBackendsGone = async (): Promise<void> => {
    for (let i = 0; i < 200 && processesIn(data).length; i++) await new Promise((res) => setTimeout(res, 50))
    rmSync(join(data, 'postmaster.pid'), { force: true })
  }

  try {
    await launch()
  } catch (err) {
    proc?.kill('SIGKILL')
    await waitExit(proc)
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let stopped = false
  return {
    url, port, dir,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`)
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try { await c.query(`CREATE DATABASE ${name}`) } finally { await c.end() }
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    async kill(): Promise<void> {
      const p = proc
      p?.kill('SIGKILL')
      await waitExit(p)
      await waitBackendsGone()
    },
    async restart(): Promise<void> {
      await launch()
    },
    async stop(o: { keep?: boolean } = {}): Promise<void> {
      if (stopped) return
      const p = proc
      if (p && p.exitCode === null && p.signalCode === null) {
        p.kill('SIGINT') // fast shutdown: disconnects clients, no waiting for them
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000)
        await waitExit(p)
        clearTimeout(t)
      }
      await waitBackendsGone()
      if (!o.keep) {
        stopped = true
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
