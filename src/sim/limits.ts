// Open-file limits: every link is a socket, so a process hosting (or serving) thousands of nodes
// needs RLIMIT_NOFILE well above the usual 1024. Node has no setrlimit, so the limit is raised with
// util-linux's prlimit on our own pid (raising the soft limit up to the hard one needs no privilege;
// above it needs root or CAP_SYS_RESOURCE).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface FileLimit { soft: number; hard: number }

export function fileLimit(pid: number | 'self' = 'self'): FileLimit | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const m = line && /Max open files\s+(\S+)\s+(\S+)/.exec(line)
    if (!m) return undefined
    const n = (v: string) => (v === 'unlimited' ? Infinity : Number(v))
    return { soft: n(m[1]), hard: n(m[2]) }
  } catch {
    return undefined
  }
}

/**
 * Makes sure `pid` may hold `needed` open files, raising its limit if it can. Returns what was done
 * and, when the limit stays too low, a message that says what the user must set.
 */
export function ensureFileLimit(needed: number, pid: number | 'self' = 'self'): { limit?: FileLimit; raised: boolean; problem?: string } {
  const before = fileLimit(pid)
  if (!before || before.soft >= needed) return { limit: before, raised: false }
  const target = Math.max(needed, 65_536)
  const real = pid === 'self' ? process.pid : pid
  for (const [soft, hard] of [[target, Math.max(target, before.hard)], [Math.min(target, before.hard), before.hard]]) {
    if (soft <= before.soft) continue
    try {
      execFileSync('prlimit', ['--pid', String(real), `--nofile=${soft}:${hard === Infinity ? 'unlimited' : hard}`], { stdio: 'ignore' })
    } catch { /* not allowed or no prlimit: try the next */ }
    const now = fileLimit(pid)
    if (now && now.soft >= needed) return { limit: now, raised: true }
  }
  const now = fileLimit(pid) ?? before
  return {
    limit: now, raised: now.soft > before.soft,
    problem: `the open-file limit is ${now.soft} but about ${needed} sockets are needed: raise it (e.g. "ulimit -n 65536" in the shell, LimitNOFILE=65536 in a systemd unit, or nofile in /etc/security/limits.conf)`,
  }
}
