// The server's loop-lag watch (src/lib/loop-lag.ts) warns when the event loop was held past
// warnMs, and not when the longest hold stayed under it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { watchLoopLag } from '../../src/lib/loop-lag.js'
import type { Logger } from '../../src/lib/log.js'

type Warning = { obj: { maxMs: number }; msg: string }

function recorder(): { log: Logger; warnings: Warning[] } {
  const warnings: Warning[] = []
  const log = { warn: (obj: Warning['obj'], msg: string) => warnings.push({ obj, msg }) } as unknown as Logger
  return { log, warnings }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const hold = (ms: number) => { const until = Date.now() + ms; while (Date.now() < until) { /* the loop is held */ } }

test('loop lag: a loop held for 300 ms is reported with how long', async (t) => {
  const { log, warnings } = recorder()
  const stop = watchLoopLag(log, { intervalMs: 100, warnMs: 250 })
  t.after(stop)
  await sleep(120)
  hold(300)
  for (let i = 0; i < 20 && !warnings.length; i++) await sleep(50)
  assert.ok(warnings.length >= 1)
  assert.ok(warnings.some((w) => w.obj.maxMs >= 250), JSON.stringify(warnings))
  assert.match(warnings[0].msg, /event loop lagging/)
})

test('loop lag: holds shorter than warnMs are not reported', async (t) => {
  const { log, warnings } = recorder()
  const stop = watchLoopLag(log, { intervalMs: 100, warnMs: 60_000 })
  t.after(stop)
  await sleep(120)
  hold(300)
  await sleep(250)
  assert.equal(warnings.length, 0)
})
