import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { parseManifests } from '../../api/manifest.js'
import type { Resource } from '../../api/meta.js'
import { clientFrom, formatError, type GlobalFlags } from '../context.js'
import { kindInfo } from '../../api/kinds/index.js'
import { isKubernetesKind } from '../../api/k8s-import/deployment.js'

export function readManifestArg(file: string): Resource[] {
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
  return parseManifests(text, file === '-' ? 'stdin' : file) as Resource[]
}

export function registerApply(program: Command): void {
  program.command('apply')
    .description('create or update resources from a YAML or JSON manifest (several documents allowed)')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin')
    .action(async (opts: { filename: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const docs = readManifestArg(opts.filename)
      if (!docs.length) throw new Error(`${opts.filename}: no documents`)
      let failed = 0
      // Kubernetes Deployments (with their Services and HPAs) go to the server together, to be
      // translated into Apps; what cannot be honoured is printed as kubectl prints warnings.
      const k8s = docs.filter(isKubernetesKind)
      if (k8s.length) {
        try {
          const ns = flags.namespace ? `?namespace=${encodeURIComponent(flags.namespace)}` : ''
          const res = await client.http.request('POST', `/v1/import${ns}`, k8s) as { items: { action: string; app: Resource }[]; warnings: string[] }
          for (const w of res.warnings) process.stderr.write(`Warning: ${w}\n`)
          for (const it of res.items) process.stdout.write(`app/${it.app.metadata.name} ${it.action} (from Deployment ${it.app.metadata.name})\n`)
        } catch (err) {
          failed++
          process.stderr.write(`${formatError(err)}\n`)
        }
      }
      for (const doc of docs.filter((d) => !isKubernetesKind(d))) {
        const d = doc as Resource
        if (flags.namespace && d.metadata && kindInfo(d.kind)?.namespaced && !d.metadata.namespace) d.metadata.namespace = flags.namespace
        try {
          const { obj, action } = await client.apply(d)
          process.stdout.write(`${obj.kind.toLowerCase()}/${obj.metadata.name} ${action}\n`)
        } catch (err) {
          failed++
          process.stderr.write(`${formatError(err)}\n`)
        }
      }
      if (failed) process.exitCode = 1
    })
}
