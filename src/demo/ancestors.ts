// The demo stops its fleet when whoever started it is gone: `npm run demo` killed (even with
// SIGKILL, which nobody can catch), its shell gone, the terminal closed. It watches the chain of
// its ancestors up to the session leader (the terminal's shell), each known by pid and start time
// so a reused pid is never mistaken for the living parent.
import { readFileSync } from 'node:fs'

interface Proc { pid: number; startTime: number }

function stat(pid: number): { ppid: number; sid: number; startTime: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)": state ppid pgrp session … starttime is field 22 (index 19 here).
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), sid: Number(f[3]), startTime: Number(f[19]) }
  } catch {
    return undefined
  }
}

/** This process's ancestors up to and including its session leader (never pid 1). */
export function ancestors(pid = process.pid): Proc[] {
  const out: Proc[] = []
  const self = stat(pid)
  if (!self) return out
  let p = self.ppid
  for (let i = 0; i < 32 && p > 1; i++) {
    const s = stat(p)
    if (!s) break
    out.push({ pid: p, startTime: s.startTime })
    if (s.sid === p) break
    p = s.ppid
  }
  return out
}

/** Calls onGone once, when any ancestor has exited (polled; /proc only, so Linux). */
export function watchAncestors(onGone: (pid: number) => void, intervalMs = 500): () => void {
  const chain = ancestors()
  const timer = setInterval(() => {
    for (const a of chain) {
      if (stat(a.pid)?.startTime !== a.startTime) {
        clearInterval(timer)
        onGone(a.pid)
        return
      }
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
