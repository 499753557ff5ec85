// Reads /proc/PID/stat: the start time tells a reused pid apart, the state tells a zombie apart,
// the process group tells which processes a stop must reach.
import { readFileSync, readdirSync } from 'node:fs'

export interface ProcStat {
  pid: number
  comm: string
  /** One letter: R running, S sleeping, D disk wait, Z zombie, X dead, T stopped, … */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** Clock ticks since boot (field 22). */
  startTime: number
}

/** Parses the text of /proc/PID/stat. comm may hold spaces and ')' so fields are counted after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const rest = text.slice(close + 1).trim().split(/\s+/)
  // rest[0] is field 3 (state), so field N sits at rest[N - 3].
  const startTime = Number(rest[19])
  if (!rest[0] || !Number.isFinite(startTime)) return undefined
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    startTime,
  }
}

/** The stat of a live or zombie process, or undefined when no such pid exists. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

export function isZombie(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X'
}

/** Every process (not zombie) whose process group is pgrp. Scans /proc, so use it off hot paths. */
export function groupMembers(pgrp: number): ProcStat[] {
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return []
  }
  const out: ProcStat[] = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const st = readProcStat(Number(name))
    if (st && st.pgrp === pgrp && !isZombie(st)) out.push(st)
  }
  return out
}
