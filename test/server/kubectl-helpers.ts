// The real kubectl against a real server started by the test: a kubeconfig with the server's CA
// and the admin token, a cache dir of its own (discovery and OpenAPI are cached per server).
// Outside CI a missing kubectl skips with the reason; with CI=true the tests fail instead.
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { startTestServer, type TestServer } from './helpers.js'

const missingTool = spawnSync('kubectl', ['version', '--client']).error ? 'kubectl is not installed (apt-get install kubernetes-client, or kubectl from pkgs.k8s.io)' : undefined
export const kubectlSkip: string | false = missingTool && process.env.CI !== 'true' ? missingTool : false

export interface Kubectl {
  ts: TestServer
  dir: string
  /** Runs kubectl; never throws on a non-zero exit (the result carries it). */
  run(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>
  /** Runs kubectl and fails the test on a non-zero exit. */
  ok(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<string>
  file(name: string, text: string): string
}

/** The kubeconfig README's "Using kubectl" shows, for a server at `url` with CA file `caPath`. */
export function kubeconfigFor(url: string, caPath: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: edgeplane',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority: ${caPath}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: edgeplane',
    '  context: {cluster: edgeplane, user: admin, namespace: default}',
    'current-context: edgeplane',
    '',
  ].join('\n')
}

export async function startKubectl(t: TestContext): Promise<Kubectl> {
  if (missingTool) assert.fail(`in CI this test must run, but ${missingTool}`)
  const ts = await startTestServer(t, { tls: true })
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-kubectl-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'ca.crt'), ts.srv.ca!)
  writeFileSync(join(dir, 'config'), kubeconfigFor(ts.srv.url, join(dir, 'ca.crt'), ts.admin))
  const run: Kubectl['run'] = (args, opts = {}) => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', join(dir, 'config'), '--cache-dir', join(dir, 'cache'), ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...opts.env }, timeout: 60_000,
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    if (opts.input !== undefined) child.stdin!.end(opts.input)
    else child.stdin!.end()
  })
  return {
    ts, dir, run,
    async ok(args, opts) {
      const r = await run(args, opts)
      assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`)
      return r.stdout
    },
    file(name, text) {
      const p = join(dir, name)
      writeFileSync(p, text)
      return p
    },
  }
}
