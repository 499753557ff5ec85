// Surplus stops only once enough replicas are ready without it. The trim order says which
// instances are surplus; this says which of them may go now. An instance that is not trusted
// (not ready, on a NotReady node, on a site or node in its return dwell) serves nobody, so it goes
// at once. A trusted one goes only while the trusted instances that stay still number `replicas`;
// the rest stay as Plan.surplus, and a later plan (after a readiness change) lets them go. That is
// how a site that comes back takes its replicas back without a gap and without flapping: the
// replacements elsewhere stop only after the returned instances are ready and out of their dwell.
import type { Kept } from './trim.js'

export interface Gated { remove: string[]; hold: string[] }

export function gate(kept: readonly Kept[], surplus: readonly string[], replicas: number): Gated {
  const out = new Set(surplus)
  const byName = new Map(kept.map((k) => [k.name, k]))
  let trustedStaying = 0
  for (const k of kept) if (k.trusted && !out.has(k.name)) trustedStaying++
  let mayGo = 0
  for (const n of surplus) if (byName.get(n)!.trusted) mayGo++
  // Of the trusted surplus, keep the last ones in trim order (the ones trim liked least to remove).
  mayGo -= Math.max(0, replicas - trustedStaying)
  const remove: string[] = []
  const hold: string[] = []
  for (const n of surplus) {
    if (!byName.get(n)!.trusted) remove.push(n)
    else if (mayGo-- > 0) remove.push(n)
    else hold.push(n)
  }
  return { remove, hold }
}
