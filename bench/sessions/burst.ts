// bench/sessions bursts (issue 27): B concurrent allocations from near one site whose pool has 4
// warm slots, with the default deadline (2 s) and distance budget (1,500 km). Reports the share
// placed at the nearest site, the share within the budget, the refusals, latency p50/p99, and how
// many slots the site has ready a few seconds later (the pool refilled by its drain rate).
import { request, type Agent } from 'undici'

export interface BurstContext {
  url: string
  token: string
  dispatcher: Agent
  /** Applies an App (server-side apply). */
  apply: (app: unknown) => Promise<unknown>
  /** The session app's manifest with these pool settings. */
  app: (name: string, sessions: Record<string, unknown>) => unknown
  /** Instances of an app: site and readiness. */
  instances: (app: string) => Promise<{ site: string; ready: boolean; slots: number }[]>
  /** Where the clients are (next to `site`). */
  at: { lat: number; lon: number }
  site: string
}

export interface BurstResult {
  burst: number
  slotsPerInstance: number
  ok: number
  refused: number
  nearestShare: number
  withinBudgetShare: number
  cold: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  readySlotsAtSiteAfter: number
  refusals: string[]
}

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('burst: timed out waiting for the warm pool')
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function runBurst(c: BurstContext, burst: number, slotsPerInstance: number): Promise<BurstResult> {
  const name = `burst${burst}`
  const maxPerSite = Math.ceil((burst + 4) / slotsPerInstance) + 1
  await c.apply(c.app(name, { slotsPerInstance, warmPerSite: 4, maxPerSite, defaultTtlSeconds: 3600 }))
  const readySlots = async () => (await c.instances(name)).filter((i) => i.site === c.site && i.ready).reduce((n, i) => n + i.slots, 0)
  await until(async () => (await readySlots()) >= 4, 120_000)
  const one = async () => {
    const t0 = performance.now()
    const res = await request(`${c.url}/v1/sessions`, {
      method: 'POST', dispatcher: c.dispatcher,
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app: name, location: c.at }),
    })
    const body = await res.body.json() as { site?: string; start?: string; placement?: { distanceKm?: number }; message?: string }
    return { ms: performance.now() - t0, status: res.statusCode, body }
  }
  const results = await Promise.all(Array.from({ length: burst }, one))
  const ok = results.filter((r) => r.status === 201)
  const lat = ok.map((r) => r.ms).sort((a, b) => a - b)
  const pct = (p: number) => (lat.length ? +lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))].toFixed(1) : NaN)
  // The refill: slots ready at the site 5 s after the burst (busy ones included).
  await new Promise((r) => setTimeout(r, 5000))
  return {
    burst, slotsPerInstance, ok: ok.length, refused: burst - ok.length,
    nearestShare: +(ok.filter((r) => r.body.site === c.site).length / burst * 100).toFixed(1),
    withinBudgetShare: +(ok.filter((r) => (r.body.placement?.distanceKm ?? Infinity) <= 1500).length / burst * 100).toFixed(1),
    cold: ok.filter((r) => r.body.start === 'cold').length,
    p50Ms: pct(50), p99Ms: pct(99), maxMs: lat.length ? +lat[lat.length - 1].toFixed(1) : NaN,
    readySlotsAtSiteAfter: await readySlots(),
    refusals: [...new Set(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body.message}`))].slice(0, 3),
  }
}
