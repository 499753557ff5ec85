// Pre-distribution, pure: while a wave soaks, the sites of the next wave fetch the new revision's
// image, so a wave starts on sites that already hold it. Which sites should hold the image now
// (every wave up to the current one, and the next once the current one soaks), each site's image
// state written into the rollout status, and one event per kind of change.
import type { RolloutStatus } from '../../api/kinds/index.js'
import type { RolloutEvent } from './progress.js'

export type ImagePresence = { state: 'pulling' | 'present' | 'failed'; message?: string }

/** Where images stand at each site, and what the server asks sites to fetch (the server's image distribution). */
export interface ImageAvailability {
  /** The image's state at the site (undefined: not asked of that site). */
  state(site: string, image: string): ImagePresence | undefined
  /** The sites `owner` (an app) wants to hold each image: replaces that owner's previous wish. */
  want(owner: string, perSite: ReadonlyMap<string, readonly string[]>): void
  /** Called when a site's state for an image changes. */
  onChange(fn: (site: string, image: string) => void): void
}

/** The image a template runs (container templates; the process runtime has none). */
export function templateImage(t: object): string | undefined {
  const image = (t as { image?: unknown }).image
  return typeof image === 'string' && image ? image : undefined
}

/** Each site's image state for the rollout's gate (a site never asked counts as not there yet). */
export function observeImages<T extends { site: string }>(sites: T[], images: ImageAvailability, image: string): (T & { image: ImagePresence })[] {
  return sites.map((o) => ({ ...o, image: images.state(o.site, image) ?? { state: 'pulling', message: 'not asked yet' } }))
}

/**
 * After a rollout step: asks the sites that should hold the image for it (or nothing, once the
 * rollout ended), records each asked site's state in the status, and returns the events.
 */
export function predistribute(images: ImageAvailability, owner: string, prev: RolloutStatus | undefined, next: RolloutStatus, image: string | undefined): RolloutEvent[] {
  const asked = image ? prepullSites(next) : []
  images.want(owner, new Map(asked.map((site) => [site, [image!]])))
  return image && asked.length ? recordImageStates(prev, next, image, asked, (site) => images.state(site, image)) : []
}

const started = new Set(['Soaking', 'Done', 'Skipped', 'Failed'])

/** Sites that should hold the rollout's image now; none once it ended. */
export function prepullSites(r: RolloutStatus | undefined): string[] {
  if (!r || (r.phase !== 'Progressing' && r.phase !== 'Paused')) return []
  const out: string[] = []
  for (let w = 0; w <= r.wave && w < r.waves.length; w++) for (const s of r.waves[w].sites) out.push(s.site)
  const current = r.waves[r.wave]
  // The current wave soaks (none of its sites still pending or updating): the next one fetches.
  if (current && current.sites.every((s) => started.has(s.state)) && r.waves[r.wave + 1]) for (const s of r.waves[r.wave + 1].sites) out.push(s.site)
  return out
}

/**
 * Writes each asked site's image state into the status (sites already updated keep what they had)
 * and returns the events of what changed since `prev`: sites asked to fetch, sites that hold the
 * image, sites whose fetch failed (with the reason) — one event per kind, naming the sites.
 */
export function recordImageStates(prev: RolloutStatus | undefined, next: RolloutStatus, image: string, asked: readonly string[], state: (site: string) => ImagePresence | undefined): RolloutEvent[] {
  const before = new Map<string, ImagePresence | undefined>()
  if (prev?.revision === next.revision) for (const w of prev.waves) for (const s of w.sites) before.set(s.site, s.image)
  const askedSet = new Set(asked)
  const pulling: string[] = [], present: string[] = [], failed: string[] = []
  for (const w of next.waves) for (const s of w.sites) {
    if (!askedSet.has(s.site)) continue
    const now = state(s.site) ?? { state: 'pulling' as const, message: 'asked; waiting for the site to report' }
    const was = before.get(s.site)
    s.image = now.message ? { state: now.state, message: now.message } : { state: now.state }
    if (was?.state === now.state && (now.state !== 'failed' || was.message === now.message)) continue
    if (now.state === 'pulling' && !was) pulling.push(s.site)
    else if (now.state === 'present') present.push(s.site)
    else if (now.state === 'failed') failed.push(`${s.site}: ${now.message ?? 'no reason given'}`)
  }
  const events: RolloutEvent[] = []
  if (pulling.length) events.push({ type: 'Normal', reason: 'ImagePulling', message: `${pulling.length} site(s) asked to fetch ${image}: ${list(pulling)}` })
  if (present.length) events.push({ type: 'Normal', reason: 'ImagePresent', message: `${image} present at ${present.length} site(s): ${list(present)}` })
  if (failed.length) events.push({ type: 'Warning', reason: 'ImagePullFailed', message: `${image} could not be fetched at ${failed.length} site(s) (the sites retry; the rollout does not start them until it is present): ${list(failed)}` })
  return events
}

function list(items: string[]): string {
  return items.length > 10 ? `${items.slice(0, 10).join(', ')} and ${items.length - 10} more` : items.join(', ')
}
