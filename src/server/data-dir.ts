// The data dir holds the admin token, the PKI, the fleet key and the database (instance session
// keys): owner-only. A dir the operator created (0755) and a database the driver created under the
// process umask (0644) are tightened at start, with a warning saying what was changed.
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../lib/log.js'

export function tightenDataDir(dir: string, log: Logger): void {
  const fix = (path: string, mode: number) => {
    const now = statSync(path).mode & 0o777
    if ((now & 0o077) === 0) return
    chmodSync(path, mode)
    log.warn({ path, was: now.toString(8), now: mode.toString(8) }, 'tightened permissions: the data dir is for the server\'s user only')
  }
  if (!existsSync(dir)) return
  fix(dir, 0o700)
  for (const name of readdirSync(dir)) if (/^edgeplane\.db/.test(name) || name.endsWith('.key') || name.endsWith('.token')) fix(join(dir, name), 0o600)
}
