import type { Command } from 'commander'
import type { KindInfo } from '../../api/kinds/index.js'
import type { Resource } from '../../api/meta.js'
import { clientFrom, type GlobalFlags } from '../context.js'
import { kindOrThrow, type ResourceClient } from '../resource-client.js'
import { toYaml } from '../output.js'
import { checkOutput, formatNames, formatTable, OUTPUTS } from '../get-output.js'

interface GetOpts { selector?: string; fieldSelector?: string; output: string; allNamespaces?: boolean; showLabels?: boolean; headers: boolean }

export function printResources(items: Resource[], kind: string, output: string, namespaced: boolean, allNamespaces: boolean): string {
  if (output === 'json') return JSON.stringify({ items }, null, 2) + '\n'
  if (output === 'yaml') return toYaml({ items })
  return formatTable(items, kind, { output, wide: output === 'wide', withNamespace: namespaced && allNamespaces, showLabels: false, noHeaders: false })
}

/** What to get: `apps`, `apps hello`, `app/hello`, `apps,sites` (kubectl's forms). */
export function targets(kindArg: string, name: string | undefined): { k: KindInfo; name?: string }[] {
  if (kindArg.includes('/')) {
    if (name) throw new Error(`"${kindArg}" already names the resource; drop "${name}"`)
    const [kind, n, ...rest] = kindArg.split('/')
    if (!n || rest.length) throw new Error(`"${kindArg}": use KIND/NAME, e.g. app/hello`)
    return [{ k: kindOrThrow(kind), name: n }]
  }
  const kinds = kindArg.split(',').filter(Boolean)
  if (kinds.length > 1 && name) throw new Error('a NAME goes with one kind: use KIND/NAME for each, e.g. get app/hello site/paris')
  return kinds.map((k) => ({ k: kindOrThrow(k), name }))
}

async function getOne(client: ResourceClient, flags: GlobalFlags, opts: GetOpts, k: KindInfo, name: string | undefined): Promise<string> {
  const fmt = { output: opts.output, wide: opts.output === 'wide', withNamespace: k.namespaced && !!opts.allNamespaces, showLabels: !!opts.showLabels, noHeaders: !opts.headers }
  if (name) {
    const obj = await client.get(k, flags.namespace, name)
    if (opts.output === 'json') return JSON.stringify(obj, null, 2) + '\n'
    if (opts.output === 'yaml') return toYaml(obj)
    if (opts.output === 'name') return formatNames([obj], k.singular)
    return formatTable([obj], k.kind, { ...fmt, withNamespace: false })
  }
  const { items } = await client.list(k, { namespace: flags.namespace, allNamespaces: opts.allNamespaces, labelSelector: opts.selector, fieldSelector: opts.fieldSelector })
  if (k.kind === 'Event') items.sort((a, b) => Date.parse(String((a as { lastTimestamp?: string }).lastTimestamp)) - Date.parse(String((b as { lastTimestamp?: string }).lastTimestamp)))
  if (opts.output === 'json') return JSON.stringify({ items }, null, 2) + '\n'
  if (opts.output === 'yaml') return toYaml({ items })
  if (opts.output === 'name') return formatNames(items, k.singular)
  if (!items.length) {
    process.stderr.write(`No ${k.plural} found${k.namespaced && !opts.allNamespaces ? ` in namespace ${flags.namespace ?? 'default'}` : ''}.\n`)
    return ''
  }
  return formatTable(items, k.kind, fmt)
}

export function registerGet(program: Command): void {
  program.command('get')
    .description('list resources of a kind, or show one')
    .argument('<kind>', 'sites, nodes, apps, revisions, instances, sessions, events (singular and short names too); KIND/NAME; several: apps,sites')
    .argument('[name]', 'one resource by name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=edge')
    .option('--field-selector <selector>', 'field selector, e.g. spec.site=paris')
    .option('-o, --output <format>', OUTPUTS.join(', ') + ' (custom-columns=NAME:.metadata.name,SITE:.spec.site)', 'table')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('--show-labels', 'add a LABELS column')
    .option('--no-headers', 'tables without their header line')
    .action(async (kind: string, name: string | undefined, opts: GetOpts, cmd: Command) => {
      checkOutput(opts.output)
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const list = targets(kind, name)
      const client = clientFrom(flags)
      const parts: string[] = []
      for (const t of list) parts.push(await getOne(client, flags, opts, t.k, t.name))
      const tables = !['json', 'yaml', 'name'].includes(opts.output)
      process.stdout.write(parts.filter(Boolean).join(tables ? '\n' : ''))
    })
}
