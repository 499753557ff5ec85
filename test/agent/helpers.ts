// Shared bits for the agent tests: temp dirs, polling waits for real processes, safe cleanup.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import type { Probe, Template } from '../../src/api/kinds/index.js'
import type { InstanceHandle, StartSpec } from '../../src/agent/runtime/driver.js'
import { readProcStat } from '../../src/agent/runtime/proc-stat.js'
import { PortAllocator } from '../../src/agent/runtime/ports.js'

export { sleep }

export function tempDir(t: TestContext): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'edgeplane-agent-')))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Polls (with real, ref'd timers) until fn returns something truthy. */
export async function waitFor<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/**
 * Awaits p while holding a ref'd timer: workloads are unref'd children and systemClock timers are
 * unref'd, so without this an otherwise idle test process would see its event loop drain.
 */
export async function keepAlive<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000)
  try {
    return await p
  } finally {
    clearInterval(hold)
  }
}

/** Lets pending promise callbacks run (a ManualClock test has no real timers to wait for). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

export function template(command: string, args: string[] = [], extra: Partial<Template> = {}): Template {
  return { runtime: 'process', command, args, stopGracePeriodSeconds: 1, ...extra }
}

/** A spec that runs `node -e script`. */
export function nodeSpec(dir: string, script: string, opts: { id?: string; env?: Record<string, string>; extra?: Partial<Template> } = {}): StartSpec {
  const id = opts.id ?? 'default/test'
  return {
    id,
    template: template(process.execPath, ['-e', script], opts.extra),
    env: opts.env ?? {},
    cwd: dir,
    logFile: join(dir, 'logs', `${id.replace('/', '_')}.log`),
  }
}

export function probe(kind: { http?: { path: string; port: string }; tcp?: { port: string } }, extra: Partial<Probe> = {}): Probe {
  return { initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1, ...kind, ...extra }
}

/**
 * Test files run as parallel processes, each with its own allocator: give each a range of its own
 * (by pid) so two never hand out the same port before the workload binds it.
 */
export function testPorts(host = '127.0.0.1'): PortAllocator {
  const min = 40000 + (process.pid % 200) * 100
  return new PortAllocator({ host, min, max: min + 99 })
}

/** Whether the pid is the very process of the handle and not a zombie. */
export function running(pid: number, startTime?: number): boolean {
  const st = readProcStat(pid)
  return !!st && st.state !== 'Z' && st.state !== 'X' && (startTime === undefined || st.startTime === startTime)
}

/** Test cleanup independent of the code under test: SIGKILL the group only if it is still ours. */
export function killGroup(h: InstanceHandle | undefined): void {
  if (!h) return
  const st = readProcStat(h.pid)
  if (!st || st.startTime !== h.startTime) return
  try {
    process.kill(-h.pid, 'SIGKILL')
  } catch { /* already gone */ }
}
