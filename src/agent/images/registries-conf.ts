// The registries.conf (containers-registries.conf(5)) the agent writes for every podman it runs: pulls
// of the central registry's images go through the site's cache first (a mirror), then to the central
// registry itself if the cache cannot answer. Site caches serve plain HTTP on the site's own network
// (they hold only public image bytes, verified by digest on pull), so the mirror is marked insecure;
// the central registry is insecure only when its URL is http://.
import { writeFileAtomic } from '../../lib/fs.js'

export interface MirrorConfig {
  /** The central registry, http://host:port or https://host:port. */
  central?: string
  /** host:port of the site's cache. */
  mirror?: string
}

/** host:port of a registry URL. */
export function registryHost(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/+$/, '')
}

const quote = (s: string) => JSON.stringify(s)

export function renderRegistriesConf(c: MirrorConfig): string {
  const lines = ['# Written by the edgeplane agent: pulls of the central registry go through the site cache.']
  if (!c.central) return `${lines.join('\n')}\n`
  const host = registryHost(c.central)
  lines.push('', '[[registry]]', `prefix = ${quote(host)}`, `location = ${quote(host)}`, `insecure = ${c.central.startsWith('http://')}`)
  if (c.mirror) lines.push('', '[[registry.mirror]]', `location = ${quote(c.mirror)}`, 'insecure = true')
  return `${lines.join('\n')}\n`
}

/** Writes the file (atomically) when its content changes; true when it changed. */
export function writeRegistriesConf(path: string, c: MirrorConfig, previous?: string): boolean {
  const text = renderRegistriesConf(c)
  if (text === previous) return false
  writeFileAtomic(path, text, 0o644)
  return true
}
