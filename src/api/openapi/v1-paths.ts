// The routes that are not resources, for /openapi.json: discovery, the OpenAPI documents, health,
// metrics, and the /v1 actions (join, tokens, route, demand, sessions, the agent link).
type Obj = Record<string, unknown>

const json = (description: string, schema: Obj = { type: 'object' }): Obj => ({ description, content: { 'application/json': { schema } } })
const errors = { default: json('a Kubernetes Status naming the problem', { $ref: '#/components/schemas/Status' }) }
const get = (summary: string, extra: Obj = {}, ok: Obj = json('ok')): Obj => ({ get: { summary, ...extra, responses: { 200: ok, ...errors } } })
const query = (name: string, description: string, type = 'string', required = false): Obj => ({ name, in: 'query', required, description, schema: { type } })
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } }
const name = { name: 'name', in: 'path', required: true, schema: { type: 'string' } }
const body = (schema: Obj, required = true): Obj => ({ required, content: { 'application/json': { schema } } })
const open = { security: [] }

export function v1Paths(group: string, version: string): Record<string, Obj> {
  return {
    '/api': get('the core API versions (v1: events only)'),
    '/api/v1': get('the core v1 resources served: events (read-only, for kubectl describe)'),
    '/api/v1/events': get('events of every namespace as core v1 Events', { parameters: [query('fieldSelector', 'involvedObject.name=…, involvedObject.kind=…'), query('labelSelector', 'labels')] }),
    '/api/v1/namespaces/{namespace}/events': get('events of a namespace as core v1 Events (kubectl describe looks here)', { parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, query('fieldSelector', 'involvedObject.name=…, involvedObject.kind=…, involvedObject.uid=…'), query('labelSelector', 'labels')] }),
    '/apis': get('the API groups (APIGroupList)'),
    [`/apis/${group}`]: get(`the ${group} group (APIGroup)`),
    [`/apis/${group}/${version}`]: get('the resources of the group and their verbs (APIResourceList)'),
    '/openapi/v2': get('this API as Swagger 2.0 (JSON; kubectl reads /openapi/v3 first)'),
    '/openapi/v3': get('the index of OpenAPI 3.0 documents by group-version, each with a hash to cache by'),
    [`/openapi/v3/apis/${group}/${version}`]: get(`the ${group}/${version} resources as OpenAPI 3.0, with the Kubernetes extensions kubectl reads`, { parameters: [query('hash', 'the hash from /openapi/v3 (the answer may then be cached)')] }),
    '/openapi.json': get('this document (OpenAPI 3.1)'),
    '/version': get('the server version in Kubernetes\' shape (major, minor, gitVersion, platform, …)'),
    '/healthz': get('liveness', open),
    '/readyz': get('readiness', open),
    '/metrics': get('Prometheus metrics', {}, { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }),
    '/v1/ca.crt': get('the server CA certificate (PEM); agents check it against the pin in their join token', open, { description: 'PEM', content: { 'application/x-pem-file': { schema: { type: 'string' } } } }),
    '/v1/join': {
      post: {
        summary: 'an agent joins with a join token (Authorization: Bearer <join token>) and gets its node credential',
        requestBody: body({ type: 'object', required: ['node', 'site'], properties: { node: { type: 'string' }, site: { type: 'string' } } }),
        responses: { 200: json('the node credential'), ...errors },
      },
    },
    '/v1/credentials/rotate': { post: { summary: 'a node rotates its credential (node credential only)', responses: { 200: json('the new credential'), ...errors } } },
    '/v1/tokens': {
      get: { summary: 'list join and admin tokens (never their secrets)', responses: { 200: json('{items}'), ...errors } },
      post: {
        summary: 'create a join token (default) or an admin token',
        requestBody: body({ type: 'object', properties: { type: { enum: ['join', 'admin'] }, ttlSeconds: { type: 'integer', minimum: 0 }, maxUses: { type: 'integer', minimum: 1 }, description: { type: 'string' } } }, false),
        responses: { 201: json('the token, shown once'), ...errors },
      },
    },
    '/v1/tokens/{id}': { delete: { summary: 'revoke a token', parameters: [id], responses: { 200: json('{deleted}'), ...errors } } },
    '/v1/route': get('where a client would be sent for a host: the candidate sites ranked, with why', {
      parameters: [query('host', 'the app\'s traffic host', 'string', true), query('clientIp', 'the client address (default: the caller\'s)'), query('limit', 'at most this many candidates', 'integer')],
    }),
    '/v1/demand': get('the demand the router sees for a host, by place', { parameters: [query('host', 'the app\'s traffic host', 'string', true)] }),
    '/v1/sessions': {
      get: { summary: 'list sessions', parameters: [query('app', 'only this app\'s'), query('namespace', 'only this namespace\'s')], responses: { 200: json('{items}'), ...errors } },
      post: {
        summary: 'allocate an on-demand instance near the user: an endpoint and a token',
        requestBody: body({ type: 'object', required: ['app'], properties: { app: { type: 'string' }, namespace: { type: 'string' }, clientIp: { type: 'string' }, location: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } } }, idempotencyKey: { type: 'string' }, ttlSeconds: { type: 'integer', minimum: 1 }, deadlineMs: { type: 'integer', minimum: 1, maximum: 60000 }, metadata: { type: 'object', additionalProperties: { type: 'string' } } }, additionalProperties: false }),
        responses: { 201: json('the session'), ...errors },
      },
    },
    '/v1/sessions/{id}': {
      get: { summary: 'read a session', parameters: [id], responses: { 200: json('the session'), ...errors } },
      delete: { summary: 'end a session', parameters: [id], responses: { 200: json('the session, ended'), ...errors } },
    },
    '/v1/sessions/{id}/renew': {
      post: { summary: 'extend a session', parameters: [id], requestBody: body({ type: 'object', properties: { ttlSeconds: { type: 'integer', minimum: 1 } } }, false), responses: { 200: json('the session'), ...errors } },
    },
    '/v1/import': {
      post: {
        summary: 'import Kubernetes manifests: each apps/v1 Deployment (with the Service selecting it and the HPA targeting it) becomes an App; what cannot be honoured comes back as Warning headers and in warnings',
        parameters: [query('namespace', 'for documents without one (default: default)'), query('dryRun', 'All: translate and check, write nothing')],
        requestBody: { required: true, content: { 'application/yaml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
        responses: { 200: json('{items: [{action, app}], warnings}'), ...errors },
      },
    },
    '/apis/apps': get('the apps group (Deployments are accepted to be imported)'),
    '/apis/apps/v1': get('apps/v1: deployments (create and server-side apply only; they become Apps)'),
    '/apis/apps/v1/namespaces/{namespace}/deployments': {
      post: { summary: 'import one Deployment into an App (kubectl create -f)', parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, query('dryRun', 'All: write nothing')], requestBody: body({ type: 'object' }), responses: { 201: json('the App'), ...errors } },
    },
    '/apis/apps/v1/namespaces/{namespace}/deployments/{name}': {
      get: { summary: 'always 404: Deployments are not stored, the App is', parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, name], responses: { 404: json('Status'), ...errors } },
      patch: { summary: 'import one Deployment by server-side apply (kubectl apply --server-side)', parameters: [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, name], requestBody: { required: true, content: { 'application/apply-patch+yaml': { schema: { type: 'object' } } } }, responses: { 200: json('the App'), 201: json('the App'), ...errors } },
    },
    '/openapi/v3/apis/apps/v1': get('the apps/v1 document kubectl reads before sending a Deployment'),
    '/v1/link': get('the agent link: a WebSocket upgrade, node credential only', {}, { description: 'switching protocols (WebSocket)' }),
  }
}
