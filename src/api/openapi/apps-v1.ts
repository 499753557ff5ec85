// A small apps/v1 document: Deployments are accepted (and imported into Apps), so kubectl must
// find their PATCH operation and its fieldValidation parameter to leave validation to the server
// (without it kubectl downloads /openapi/v2 as protobuf, which we do not serve).
type Obj = Record<string, unknown>

export const APPS_DOC_PATH = 'apis/apps/v1'

export function appsDocumentV3(version: string): Obj {
  const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' }
  const named = [
    { name: 'namespace', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
  ]
  const params = [
    { name: 'dryRun', in: 'query', schema: { type: 'string' }, description: 'All: check and translate, write nothing' },
    { name: 'fieldValidation', in: 'query', schema: { type: 'string' }, description: 'the translation reports what it cannot honour as warnings' },
    { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
  ]
  const body = { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Deployment' } }, 'application/apply-patch+yaml': { schema: { $ref: '#/components/schemas/Deployment' } } } }
  const ok = { description: 'the App the Deployment became', content: { 'application/json': { schema: { type: 'object' } } } }
  return {
    openapi: '3.0.0',
    info: { title: 'edgeplane: Kubernetes Deployments imported into Apps', version },
    paths: {
      '/apis/apps/v1/namespaces/{namespace}/deployments': {
        post: { operationId: 'createDeployment', parameters: [named[0], ...params], requestBody: body, responses: { 201: ok }, 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'post' },
      },
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}': {
        patch: { operationId: 'applyDeployment', parameters: [...named, ...params, { name: 'force', in: 'query', schema: { type: 'boolean' } }], requestBody: body, responses: { 200: ok, 201: ok }, 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'patch' },
      },
    },
    components: {
      schemas: {
        Deployment: {
          type: 'object',
          description: 'a Kubernetes apps/v1 Deployment; imported into an App (fields with no equivalent come back as warnings)',
          'x-kubernetes-preserve-unknown-fields': true,
          'x-kubernetes-group-version-kind': [gvk],
        },
      },
    },
  }
}
