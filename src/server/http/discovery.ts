// Discovery documents, so Kubernetes-style clients can find our group, version and resources.
import type { FastifyInstance } from 'fastify'
import { API_VERSION, GROUP, VERSION } from '../../api/meta.js'
import { publicKinds } from '../../api/kinds/index.js'
import { registerOpenApiRoutes } from './openapi-routes.js'
import { AUTHZ_GROUP_ENTRY } from '../auth/access-review.js'

export function registerDiscoveryRoutes(app: FastifyInstance, version: string): void {
  const groupVersion = { groupVersion: API_VERSION, version: VERSION }
  // apps/v1 serves Deployments only to import them into Apps (kubectl create|apply -f deployment.yaml).
  const appsVersion = { groupVersion: 'apps/v1', version: 'v1' }
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: GROUP, versions: [groupVersion], preferredVersion: groupVersion }, { name: 'apps', versions: [appsVersion], preferredVersion: appsVersion }, AUTHZ_GROUP_ENTRY] }))
  app.get('/apis/apps', async () => ({ kind: 'APIGroup', apiVersion: 'v1', name: 'apps', versions: [appsVersion], preferredVersion: appsVersion }))
  app.get('/apis/apps/v1', async () => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1',
    resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', shortNames: ['deploy'], verbs: ['create', 'patch'] }],
  }))
  app.get(`/apis/${GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', name: GROUP, versions: [groupVersion], preferredVersion: groupVersion }))
  app.get(`/apis/${GROUP}/${VERSION}`, async () => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: API_VERSION,
    resources: publicKinds().flatMap((k) => [
      { name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, shortNames: k.shortNames, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      ...(k.hasStatus ? [{ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'update'] }] : []),
      ...(k.kind === 'App' ? [{ name: 'apps/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }] : []),
      ...(k.kind === 'Instance' ? [{ name: 'instances/log', singularName: '', namespaced: true, kind: 'Instance', verbs: ['get'] }] : []),
    ]),
  }))
  registerOpenApiRoutes(app, version)
}
