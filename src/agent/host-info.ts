// What this machine offers, and what the agent's instances use of it (from /proc).
import { cpus, totalmem } from 'node:os'
import { readFileSync } from 'node:fs'
import { parseCpu, parseMemory } from '../api/quantity.js'

export function detectCapacity(over: { cpu?: string; memory?: string } = {}): { cpu: number; memory: number } {
  return {
    cpu: over.cpu ? parseCpu(over.cpu, '--cpu') : cpus().length * 1000,
    memory: over.memory ? parseMemory(over.memory, '--memory') : totalmem(),
  }
}

const TICKS_PER_SECOND = 100

/** CPU time (ticks) and resident memory (bytes) of one process, or undefined when it is gone. */
export function processUsage(pid: number): { ticks: number; rss: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After the comm field: state is f[0]; utime f[11], stime f[12]; rss (pages) f[21].
    return { ticks: Number(f[11]) + Number(f[12]), rss: Number(f[21]) * 4096 }
  } catch {
    return undefined
  }
}

/** Turns successive tick samples into millicores. */
export class UsageMeter {
  private last = new Map<number, { ticks: number; at: number }>()

  sample(pids: number[], now: number): { cpu: number; memory: number } {
    let cpu = 0, memory = 0
    const seen = new Set<number>()
    for (const pid of pids) {
      const u = processUsage(pid)
      if (!u) continue
      seen.add(pid)
      memory += u.rss
      const prev = this.last.get(pid)
      if (prev && now > prev.at) cpu += ((u.ticks - prev.ticks) / TICKS_PER_SECOND) / ((now - prev.at) / 1000) * 1000
      this.last.set(pid, { ticks: u.ticks, at: now })
    }
    for (const pid of this.last.keys()) if (!seen.has(pid)) this.last.delete(pid)
    return { cpu: Math.round(cpu), memory }
  }
}
