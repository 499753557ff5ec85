import { test } from 'node:test'
import { startTestServer, APPS, appManifest, settle } from './helpers.js'

test('explore', async (t) => {
  const ts = await startTestServer(t)
  const show = async (label: string, o: any) => { const r = await ts.req(o); console.log(label, r.statusCode, r.body.slice(0, 250)) }
  await show('create', { method: 'POST', url: APPS, payload: appManifest('web') })
  await show('get encoded', { method: 'GET', url: APPS + '/we%62' })
  await show('bad pct', { method: 'GET', url: APPS + '/%25E0' })
  await show('bad pct2', { method: 'GET', url: APPS + '/%E0%A4%A' })
  await show('neg rv', { method: 'GET', url: APPS + '?watch=true&resourceVersion=-1' })
  await show('alias bomb', { method: 'POST', url: APPS, headers: { 'content-type': 'application/yaml' }, payload: 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' })
  await show('unknown alias', { method: 'POST', url: APPS, headers: { 'content-type': 'application/yaml' }, payload: 'a: *nope\n' })
  const deep = '{"apiVersion":"edgeplane.io/v1","kind":"App","metadata":{"name":"d"},"spec":' + '{"a":'.repeat(100000) + '1' + '}'.repeat(100000) + '}'
  await show('deep', { method: 'POST', url: APPS, payload: deep, headers: { 'content-type': 'application/json' } })
  await show('wide', { method: 'POST', url: APPS, payload: '[' + '1,'.repeat(400000) + '1]', headers: { 'content-type': 'application/json' } })
  await show('unknown kind', { method: 'POST', url: APPS, payload: { ...appManifest('k'), kind: 'Bogus' } })
  await show('token kind', { method: 'POST', url: APPS, payload: { ...appManifest('k'), kind: 'Token' } })
  await show('too big', { method: 'POST', url: APPS, payload: 'x'.repeat(2 * 1024 * 1024), headers: { 'content-type': 'application/json' } })
})
