import type { Command } from 'commander'
import type { App, Event } from '../../api/kinds/index.js'
import { getCondition, type Resource } from '../../api/meta.js'
import { kindInfo } from '../../api/kinds/index.js'
import { clientFrom, type GlobalFlags } from '../context.js'
import { targets } from './get.js'
import { age, table, toYaml } from '../output.js'

export function registerDescribe(program: Command): void {
  program.command('describe')
    .description('show one resource in full, with its recent events')
    .argument('<kind>', 'the kind, or KIND/NAME')
    .argument('[name]')
    .action(async (kindArg: string, nameArg: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const [{ k, name }, ...more] = targets(kindArg, nameArg)
      if (more.length) throw new Error('describe shows one resource: KIND NAME or KIND/NAME')
      if (!name) throw new Error(`describe needs a name: describe ${kindArg} NAME, or ${k.singular}/NAME`)
      const client = clientFrom(flags)
      const obj = await client.get(k, flags.namespace, name)
      const { metadata, spec, status, kind: _k, apiVersion: _a, ...rest } = obj as Resource & Record<string, unknown>
      let out = `Name:        ${metadata.name}\n`
      if (metadata.namespace) out += `Namespace:   ${metadata.namespace}\n`
      out += `Kind:        ${obj.kind}\n`
      out += `Created:     ${metadata.creationTimestamp} (${age(metadata.creationTimestamp)} ago)\n`
      out += `Generation:  ${metadata.generation}   ResourceVersion: ${metadata.resourceVersion}\n`
      if (metadata.labels && Object.keys(metadata.labels).length) out += `Labels:      ${Object.entries(metadata.labels).map(([a, b]) => `${a}=${b}`).join(', ')}\n`
      const section = (title: string, v: unknown) => v === undefined ? '' : `${title}:\n${toYaml(v).replace(/^/gm, '  ').trimEnd()}\n`
      out += section('Spec', spec)
      if (Object.keys(rest).length) out += section('Details', rest)
      if (obj.kind === 'App' && status) {
        // The scheduler's per-site decisions read better as a table than as YAML.
        const { placement: _p, ...rest } = status as NonNullable<App['status']>
        out += section('Status', rest)
        out += placementSection(obj as unknown as App)
      } else {
        out += section('Status', status)
      }
      const evKind = kindInfo('Event')!
      const { items } = await client.list<Event & Resource>(evKind, {
        allNamespaces: !k.namespaced, namespace: metadata.namespace,
        fieldSelector: `involvedObject.kind=${obj.kind},involvedObject.name=${metadata.name}`,
      })
      items.sort((a, b) => Date.parse(a.lastTimestamp) - Date.parse(b.lastTimestamp))
      out += 'Events:\n'
      out += items.length
        ? table(['LAST SEEN', 'TYPE', 'REASON', 'COUNT', 'MESSAGE'], items.slice(-20).map((e) => [age(e.lastTimestamp), e.type, e.reason, String(e.count), e.message])).replace(/^/gm, '  ')
        : '  <none>\n'
      process.stdout.write(out)
    })
}

/** Each site's scheduling decision and its reason; when replicas are left over, why (counted per site). */
export function placementSection(app: App): string {
  const p = app.status?.placement
  if (!p) return ''
  let out = 'Placement:\n'
  const rows = p.decisions.map((d) => [
    d.site, String(d.replicas), d.target !== undefined ? String(d.target) : '-', d.score !== undefined ? d.score.toFixed(3) : '-', d.reason,
  ])
  out += rows.length ? table(['SITE', 'REPLICAS', 'TARGET', 'SCORE', 'DECISION'], rows).replace(/^(?=.)/gm, '  ') : '  <no sites>\n'
  if (p.omitted) out += `  (${p.omitted} more site(s) not shown)\n`
  const scheduled = getCondition(app.status?.conditions, 'Scheduled')
  if (scheduled?.status === 'False') out += `  Not all replicas placed: ${scheduled.message ?? scheduled.reason}\n`
  return out
}
