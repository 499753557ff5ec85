import type { Command } from 'commander'
import type { App, Revision, Template } from '../../api/kinds/index.js'
import { kindInfo } from '../../api/kinds/index.js'
import { ApiError } from '../../api/errors.js'
import { clientFrom, type GlobalFlags } from '../context.js'
import type { ResourceClient } from '../resource-client.js'
import { age, table } from '../output.js'

const APP = () => kindInfo('App')!
const REV = () => kindInfo('Revision')!

/** Exit codes of `rollout status`: done, failed or rolled back, still going (without --watch). */
export const EXIT = { succeeded: 0, failed: 1, progressing: 2 } as const

/** A multi-line picture of a rollout: phase, then each wave with per-site states and counts. */
export function renderRollout(app: App): string {
  const st = app.status
  const r = st?.rollout
  if (!r) return `app ${app.metadata.name}: no rollout yet (waiting for the controller)\n`
  const lines = [`app ${app.metadata.name}: revision ${r.revision}${r.from ? ` (from ${r.from})` : ''} — ${r.phase}${r.message ? `: ${r.message}` : ''}`]
  const sites = new Map((st?.sites ?? []).map((s) => [s.site, s]))
  r.waves.forEach((w, i) => {
    const marker = i === r.wave && (r.phase === 'Progressing' || r.phase === 'Paused') ? '▶' : ' '
    lines.push(`${marker} wave ${i + 1}/${r.waves.length} ${w.name}`)
    for (const s of w.sites) {
      const c = sites.get(s.site)
      const counts = c ? `${c.updated ?? 0}/${c.replicas} updated, ${c.ready}/${c.replicas} ready` : 'no instances'
      const image = s.image ? `, image ${s.image.state}` : ''
      lines.push(`    ${s.site.padEnd(20)} ${s.state.padEnd(9)} ${counts}${image}${s.message ? `  — ${s.message}` : ''}`)
    }
  })
  lines.push(`replicas: ${st?.replicas ?? 0}, up to date: ${st?.updatedReplicas ?? 0}, available: ${st?.availableReplicas ?? 0}, ready: ${st?.readyReplicas ?? 0}`)
  return lines.join('\n') + '\n'
}

function outcome(app: App): keyof typeof EXIT {
  const r = app.status?.rollout
  const current = app.status?.observedGeneration === app.metadata.generation
  if (current && r?.phase === 'Succeeded') return 'succeeded'
  if (current && (r?.phase === 'RolledBack' || r?.phase === 'Failed')) return 'failed'
  return 'progressing'
}

async function watchApp(client: ResourceClient, ns: string, name: string, onChange: (app: App) => boolean): Promise<void> {
  const path = `${client.path(APP(), ns)}?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`
  const ac = new AbortController()
  process.once('SIGINT', () => ac.abort())
  let buf = ''
  try {
    for await (const chunk of await client.http.stream(path, ac.signal)) {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (!line.trim()) continue
        const ev = JSON.parse(line) as { type: string; object: App }
        if (ev.type === 'DELETED') throw new ApiError('NotFound', `app "${name}" was deleted`)
        if (onChange(ev.object)) { ac.abort(); return }
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err
  }
}

export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description('follow and steer the rollout of an app across sites')

  rollout.command('status')
    .argument('<app>')
    .option('-w, --watch', 'follow until the rollout succeeds (exit 0) or fails or rolls back (exit 1)')
    .description('progress per wave and per site; exit 0 when done, 1 when failed or rolled back, 2 when still going')
    .action(async (name: string, opts: { watch?: boolean }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const ns = flags.namespace ?? 'default'
      const app = await client.get<App>(APP(), ns, name)
      process.stdout.write(renderRollout(app))
      let result = outcome(app)
      if (opts.watch && result === 'progressing') {
        let last = renderRollout(app)
        await watchApp(client, ns, name, (a) => {
          const text = renderRollout(a)
          if (text !== last) { process.stdout.write('\n' + text); last = text }
          result = outcome(a)
          return result !== 'progressing'
        })
      }
      process.exitCode = EXIT[result]
    })

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    rollout.command(verb)
      .argument('<app>')
      .description(paused ? 'start no further sites (sites under way finish)' : 'continue a paused rollout')
      .action(async (name: string, _o: unknown, cmd: Command) => {
        const flags = cmd.optsWithGlobals() as GlobalFlags
        const client = clientFrom(flags)
        await client.http.request('PATCH', client.path(APP(), flags.namespace ?? 'default', name), { spec: { paused } }, undefined, 'application/merge-patch+json')
        process.stdout.write(`app/${name} ${paused ? 'paused' : 'resumed'}\n`)
      })
  }

  rollout.command('history')
    .argument('<app>')
    .description('the revisions kept for the app')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const ns = flags.namespace ?? 'default'
      const app = await client.get<App>(APP(), ns, name)
      const revs = await revisionsOf(client, ns, name)
      process.stdout.write(table(['REVISION', 'HASH', 'CREATED', 'COMMAND', 'NOTE'], revs.map((r) => [
        String(r.spec.number), r.spec.revision, `${age(r.metadata.creationTimestamp)} ago`, [r.spec.template.command, ...(r.spec.template.args ?? [])].join(' ').slice(0, 60),
        [r.spec.revision === app.status?.revision ? 'current' : '', r.spec.revision === app.status?.lastGoodRevision ? 'last good' : ''].filter(Boolean).join(', '),
      ])))
    })

  rollout.command('undo')
    .argument('<app>')
    .option('--to-revision <n>', 'the revision number to return to (default: the last good one, else the previous)')
    .description('roll the app back: its template becomes that revision\'s again')
    .action(async (name: string, opts: { toRevision?: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const ns = flags.namespace ?? 'default'
      const app = await client.get<App>(APP(), ns, name)
      const revs = await revisionsOf(client, ns, name)
      let target: Revision | undefined
      if (opts.toRevision !== undefined) {
        const n = Number(opts.toRevision)
        target = revs.find((r) => r.spec.number === n)
        if (!target) throw new ApiError('NotFound', `app "${name}" has no revision ${opts.toRevision} (kept: ${revs.map((r) => r.spec.number).join(', ') || 'none'})`)
      } else {
        const current = app.status?.revision
        target = revs.find((r) => r.spec.revision === app.status?.lastGoodRevision && r.spec.revision !== current)
          ?? [...revs].reverse().find((r) => r.spec.revision !== current)
        if (!target) throw new ApiError('NotFound', `app "${name}" has no earlier revision to return to`)
      }
      // The whole template is replaced (a merge patch would keep fields the old revision did not have).
      const { status: _s, ...rest } = app
      await client.http.request('PATCH', client.path(APP(), ns, name), { ...rest, spec: { ...app.spec, template: requestedTemplate(target) } }, undefined, 'application/apply-patch+yaml')
      process.stdout.write(`app/${name} rolled back to revision ${target.spec.number} (${target.spec.revision})\n`)
    })
}

async function revisionsOf(client: ResourceClient, ns: string, app: string): Promise<Revision[]> {
  const { items } = await client.list<Revision>(REV(), { namespace: ns, fieldSelector: `spec.app=${app}` })
  return items.sort((a, b) => a.spec.number - b.spec.number)
}

/**
 * The template as the App wrote it for that revision: a container image goes back to the tag it
 * named, so the app returns to that very Revision, which runs the digest pinned when it was made.
 */
export function requestedTemplate(r: Revision): Template {
  return r.spec.image ? { ...r.spec.template, image: r.spec.image.requested } : r.spec.template
}
