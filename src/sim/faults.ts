// Fault injection typed at the simulator's console (`edgeplane sim` reads one command per line on
// stdin): which sites, and what happens to them. Targets are a count ("100"), a share of the fleet
// ("10%") or site names; counts and shares are drawn by the fleet's seed, so a run can be repeated.
import type { Fleet, FlapHandle } from './fleet.js'

export const FAULT_HELP = `commands (one per line):
  partition TARGET [--silent]     cut the sites' links (closed, or silent: nothing passes either way)
  heal [TARGET|all]               end partitions and flapping
  kill TARGET [--silent]          the sites die (connection closed, or silently like lost power)
  revive [TARGET|all]             killed sites come back, instances as they were
  flap TARGET DOWN_MS UP_MS       partition and heal over and over (until heal)
  latency TARGET MS [JITTER_MS]   delay what the sites send (0 ends it)
  loss TARGET FRACTION            drop this share (0–1) of what the sites send (0 ends it)
  crash TARGET                    every instance on the sites crashes once and restarts
  status                          one summary line
TARGET: a number of sites (100), a share of the fleet (10%), or site names (a b c)`

export type FaultCommand =
  | { op: 'partition' | 'kill'; target: Target; silent: boolean }
  | { op: 'heal' | 'revive'; target: Target | 'all' }
  | { op: 'flap'; target: Target; downMs: number; upMs: number }
  | { op: 'latency'; target: Target; ms: number; jitterMs: number }
  | { op: 'loss'; target: Target; fraction: number }
  | { op: 'crash'; target: Target }
  | { op: 'status' | 'help' }

export type Target = { count: number } | { share: number } | { sites: string[] }

/** One console line → a command, or an Error that says what is wrong (nothing is done). */
export function parseFault(line: string): FaultCommand | Error | undefined {
  const words = line.trim().split(/\s+/).filter(Boolean)
  if (!words.length || words[0].startsWith('#')) return undefined
  const [op, ...rest] = words
  const flags = new Set(rest.filter((w) => w.startsWith('--')))
  const args = rest.filter((w) => !w.startsWith('--'))
  for (const f of flags) if (f !== '--silent' || (op !== 'partition' && op !== 'kill')) return new Error(`${op}: unknown option ${f}`)
  const num = (w: string | undefined, what: string, ok: (n: number) => boolean): number | Error => {
    const n = Number(w)
    return w !== undefined && Number.isFinite(n) && ok(n) ? n : new Error(`${op}: ${what} (got ${w ?? 'nothing'})`)
  }
  switch (op) {
    case 'status': case 'help':
      return args.length ? new Error(`${op} takes no arguments`) : { op }
    case 'partition': case 'kill': case 'crash': {
      const target = parseTarget(args, op)
      if (target instanceof Error) return target
      return op === 'crash' ? { op, target } : { op, target, silent: flags.has('--silent') }
    }
    case 'heal': case 'revive': {
      if (!args.length || (args.length === 1 && args[0] === 'all')) return { op, target: 'all' }
      const target = parseTarget(args, op)
      return target instanceof Error ? target : { op, target }
    }
    case 'flap': {
      const upMs = num(args.at(-1), 'UP_MS must be a positive number of milliseconds', (n) => n > 0)
      const downMs = num(args.at(-2), 'DOWN_MS must be a positive number of milliseconds', (n) => n > 0)
      if (downMs instanceof Error) return downMs
      if (upMs instanceof Error) return upMs
      const target = parseTarget(args.slice(0, -2), op)
      return target instanceof Error ? target : { op, target, downMs, upMs }
    }
    case 'latency': {
      // The last one or two numbers are the delay (and jitter); the rest names the sites.
      const tail = args.length >= 3 && /^\d+(\.\d+)?$/.test(args.at(-2)!) && !/%$/.test(args.at(-2)!) ? 2 : 1
      const ms = num(args.at(-tail), 'MS must be a number of milliseconds ≥ 0', (n) => n >= 0)
      const jitterMs = tail === 2 ? num(args.at(-1), 'JITTER_MS must be ≥ 0', (n) => n >= 0) : 0
      if (ms instanceof Error) return ms
      if (jitterMs instanceof Error) return jitterMs
      const target = parseTarget(args.slice(0, -tail), op)
      return target instanceof Error ? target : { op, target, ms, jitterMs }
    }
    case 'loss': {
      const fraction = num(args.at(-1), 'FRACTION must be between 0 and 1', (n) => n >= 0 && n <= 1)
      if (fraction instanceof Error) return fraction
      const target = parseTarget(args.slice(0, -1), op)
      return target instanceof Error ? target : { op, target, fraction }
    }
    default:
      return new Error(`unknown command "${op}" (try "help")`)
  }
}

function parseTarget(args: string[], op: string): Target | Error {
  if (!args.length) return new Error(`${op}: which sites? a number (100), a share (10%) or names`)
  if (args.length === 1 && /^\d+$/.test(args[0])) {
    const count = Number(args[0])
    return count > 0 ? { count } : new Error(`${op}: the number of sites must be at least 1`)
  }
  if (args.length === 1 && /^\d+(\.\d+)?%$/.test(args[0])) {
    const share = Number(args[0].slice(0, -1)) / 100
    return share > 0 && share <= 1 ? { share } : new Error(`${op}: the share must be more than 0% and at most 100%`)
  }
  return { sites: args }
}

/**
 * Applies commands to a fleet and remembers what it did, so "heal all" and "revive all" undo it.
 * Returns a line for the operator; throws (changing nothing) for unknown site names.
 */
export class FaultConsole {
  private partitioned = new Set<string>()
  private killed = new Set<string>()
  private flaps = new Map<string, FlapHandle>()

  constructor(private readonly fleet: Pick<Fleet, 'pick' | 'partition' | 'heal' | 'kill' | 'revive' | 'flap' | 'setLatency' | 'setLoss' | 'crashInstances' | 'summary' | 'siteNames'>) {}

  run(cmd: FaultCommand): string {
    switch (cmd.op) {
      case 'help': return FAULT_HELP
      case 'status': return this.fleet.summary()
      case 'partition': {
        const sites = this.resolve(cmd.target, this.killed)
        this.fleet.partition(sites, { mode: cmd.silent ? 'silent' : 'closed' })
        for (const s of sites) this.partitioned.add(s)
        return `partitioned (${cmd.silent ? 'silent' : 'closed'}) ${describe(sites)}`
      }
      case 'kill': {
        const sites = this.resolve(cmd.target, this.killed)
        this.fleet.kill(sites, { silent: cmd.silent })
        for (const s of sites) this.killed.add(s)
        return `killed (${cmd.silent ? 'silent' : 'closed'}) ${describe(sites)}`
      }
      case 'heal': {
        const sites = cmd.target === 'all' ? [...new Set([...this.partitioned, ...this.flaps.keys()])].sort() : this.resolve(cmd.target)
        for (const s of sites) {
          this.flaps.get(s)?.stop()
          this.flaps.delete(s)
          this.partitioned.delete(s)
        }
        this.fleet.heal(sites)
        return `healed ${describe(sites)}`
      }
      case 'revive': {
        const sites = cmd.target === 'all' ? [...this.killed].sort() : this.resolve(cmd.target)
        this.fleet.revive(sites)
        for (const s of sites) this.killed.delete(s)
        return `revived ${describe(sites)}`
      }
      case 'flap': {
        const sites = this.resolve(cmd.target, this.killed)
        for (const s of sites) {
          this.flaps.get(s)?.stop()
          this.flaps.set(s, this.fleet.flap([s], { downMs: cmd.downMs, upMs: cmd.upMs }))
        }
        return `flapping ${describe(sites)}: down ${cmd.downMs} ms, up ${cmd.upMs} ms (until heal)`
      }
      case 'latency': {
        const sites = this.resolve(cmd.target)
        this.fleet.setLatency(sites, cmd.ms, cmd.jitterMs)
        return `latency ${cmd.ms} ms${cmd.jitterMs ? ` ± ${cmd.jitterMs} ms` : ''} on ${describe(sites)}`
      }
      case 'loss': {
        const sites = this.resolve(cmd.target)
        this.fleet.setLoss(sites, cmd.fraction)
        return `loss ${(cmd.fraction * 100).toFixed(1)}% on ${describe(sites)}`
      }
      case 'crash': {
        const sites = this.resolve(cmd.target, this.killed)
        this.fleet.crashInstances(sites)
        return `crashed the instances of ${describe(sites)}`
      }
    }
  }

  /** Site names for a target; counts and shares are drawn among sites not in `exclude`. */
  private resolve(t: Target, exclude: Set<string> = new Set()): string[] {
    if ('sites' in t) {
      const known = new Set(this.fleet.siteNames)
      const unknown = t.sites.filter((s) => !known.has(s))
      if (unknown.length) throw new Error(`no simulated site ${unknown.map((s) => `"${s}"`).join(', ')}`)
      return t.sites
    }
    return this.fleet.pick('count' in t ? t.count : Math.max(1, Math.round(t.share * this.fleet.siteNames.length)), { exclude })
  }
}

function describe(sites: string[]): string {
  if (!sites.length) return 'no sites'
  const shown = sites.slice(0, 5).join(', ')
  return `${sites.length} site(s): ${shown}${sites.length > 5 ? `, … (+${sites.length - 5})` : ''}`
}
