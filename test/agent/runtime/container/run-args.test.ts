// The podman command line of an instance (pure: runs without podman).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { containerEnv, containerName, envFileText, runArgs } from '../../../../src/agent/runtime/container/run-args.js'
import type { Template } from '../../../../src/api/kinds/index.js'

const base = { name: 'edgeplane-u1', uid: 'u1', id: 'ns/web-1', node: 'n1', image: 'sha256:abc', host: '127.0.3.1', envFile: '/x.env', runtimeArgs: ['--runtime', '/usr/sbin/runc'] }
const flag = (a: string[], f: string) => a.flatMap((x, i) => (x === f ? [a[i + 1]] : []))

test('limits, read-only root and scratch volumes become podman flags', () => {
  const t: Template = { runtime: 'container', image: 'r/a:1', stopGracePeriodSeconds: 1, resources: { cpu: '250m', memory: '64Mi', pids: 100 }, readOnlyRootFilesystem: true, volumes: [{ name: 's', mountPath: '/tmp', sizeLimit: '16Mi' }], command: '/bin/app', args: ['-v'], workingDir: '/srv' }
  const a = runArgs({ ...base, template: t, ports: {} })
  assert.deepEqual(flag(a, '--memory'), [`${64 * 1048576}b`])
  assert.deepEqual(flag(a, '--memory-swap'), [`${64 * 1048576}b`], 'no swap above the limit')
  assert.deepEqual(flag(a, '--cpus'), ['0.25'])
  assert.deepEqual(flag(a, '--pids-limit'), ['100'])
  assert.ok(a.includes('--read-only') && a.includes('--read-only-tmpfs=false'))
  assert.deepEqual(flag(a, '--mount'), [`type=tmpfs,destination=/tmp,tmpfs-size=${16 * 1048576}`])
  assert.deepEqual(flag(a, '--entrypoint'), ['["/bin/app"]'])
  assert.deepEqual(flag(a, '--workdir'), ['/srv'])
  assert.deepEqual(flag(a, '--label'), ['io.edgeplane.instance=u1', 'io.edgeplane.id=ns/web-1', 'io.edgeplane.node=n1'])
  assert.deepEqual(flag(a, '--ulimit'), ['nofile=1024:1024', 'nproc=1024:1024'])
  assert.deepEqual(flag(a, '--log-driver'), ['passthrough'])
  assert.deepEqual(flag(a, '--network'), ['host'])
  assert.deepEqual(a.slice(-2), ['sha256:abc', '-v'], 'image, then args (the CMD replaced)')
})

test('containerPort: bridged, the host port on the node address published to it, PORT inside', () => {
  const t: Template = { runtime: 'container', image: 'r/a:1', stopGracePeriodSeconds: 1, ports: [{ name: 'http', protocol: 'tcp', containerPort: 8080 }, { name: 'metrics', protocol: 'tcp' }] }
  const ports = { http: 30001, metrics: 30002 }
  const a = runArgs({ ...base, template: t, ports })
  assert.deepEqual(flag(a, '--network'), ['bridge'])
  assert.deepEqual(flag(a, '--publish'), ['127.0.3.1:30001:8080/tcp', '127.0.3.1:30002:30002/tcp'])
  const env = containerEnv(t, { HOST: '127.0.3.1', PORT: '30001', PORT_HTTP: '30001', PORT_METRICS: '30002', X: 'y' }, ports)
  assert.deepEqual(env, { HOST: '0.0.0.0', PORT: '8080', PORT_HTTP: '8080', PORT_METRICS: '30002', X: 'y' })
  const host: Template = { ...t, ports: [{ name: 'http', protocol: 'tcp' }] }
  assert.equal(containerEnv(host, { HOST: '127.0.3.1', PORT: '30001' }, ports).HOST, '127.0.3.1', 'host networking keeps the node address')
})

test('env file and names', () => {
  assert.deepEqual(envFileText({ A: '1', B: 'x=y z' }), { text: 'A=1\nB=x=y z\n', rejected: [] })
  assert.deepEqual(envFileText({ BAD: 'a\nb' }).rejected, ['BAD'])
  assert.equal(containerName('9f0c/x y'), 'edgeplane-9f0c-x-y')
})
