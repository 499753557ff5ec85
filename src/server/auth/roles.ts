// Built-in roles: what an API token may do. A request becomes an attribute set (verb, resource,
// namespace, or a non-resource path); a role is a pure function of it. The same function answers
// SelfSubjectAccessReview, so `kubectl auth can-i` tells exactly what a request would meet.
export const ROLES = ['admin', 'operator', 'viewer', 'deployer', 'session-client'] as const
export type Role = (typeof ROLES)[number]

export const ROLE_HELP: Record<Role, string> = {
  admin: 'everything, tokens and node re-provisioning included',
  operator: 'read and write every resource, sessions and routes; not tokens',
  viewer: 'read every resource, logs, routes, metrics; change nothing',
  deployer: 'read and write the resources of one namespace (--namespace), read Sites and Nodes, sessions of its apps',
  'session-client': 'only /v1/sessions, for the apps named at creation (--app ns/name)',
}

/** Roles whose tokens must name a namespace, and those that must name apps. */
export const NEEDS_NAMESPACE = new Set<Role>(['deployer'])
export const NEEDS_APPS = new Set<Role>(['session-client'])

export const READ_VERBS = new Set(['get', 'list', 'watch'])
export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const

export interface Grant { role: Role; namespace?: string; apps?: string[] }

export interface Attributes {
  verb: string
  /** A resource plural of edgeplane.io ("apps", "instances/log"), or "tokens", "sessions", "routes". */
  resource?: string
  namespace?: string
  /** sessions: the app ("namespace/name") the request is about, when known. */
  app?: string
  /** Non-resource requests: the path (/metrics, /version, discovery). */
  path?: string
}

const CLUSTER_READABLE_BY_DEPLOYER = new Set(['sites', 'nodes'])
const DISCOVERY = /^\/(api|apis)(\/.*)?$|^\/openapi(\/.*|\.json)?$|^\/version$/

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s)
}

/** Whether `g` allows `a`. */
export function allows(g: Grant, a: Attributes): boolean {
  if (g.role === 'admin') return true
  if (a.path !== undefined) {
    // Discovery and the version are for every API token (kubectl reads them before anything else).
    if (DISCOVERY.test(a.path)) return READ_VERBS.has(a.verb) || a.verb === 'get'
    if (a.path === '/metrics') return g.role === 'operator' || g.role === 'viewer'
    return false
  }
  const r = a.resource ?? ''
  if (r === 'tokens') return false
  if (r === 'selfsubjectaccessreviews') return a.verb === 'create'
  switch (g.role) {
    case 'operator': return true
    case 'viewer': return READ_VERBS.has(a.verb) && r !== 'sessions'
    case 'session-client':
      return r === 'sessions' && a.app !== undefined && (g.apps ?? []).includes(a.app)
    case 'deployer':
      if (CLUSTER_READABLE_BY_DEPLOYER.has(r) && a.namespace === undefined) return READ_VERBS.has(a.verb)
      if (r === 'routes') return READ_VERBS.has(a.verb)
      if (r === 'sessions') return a.app !== undefined && a.app.startsWith(`${g.namespace}/`)
      return a.namespace !== undefined && a.namespace === g.namespace
  }
}

/** "create on apps in namespace team-a": what was missing, for a 403's message. */
export function describe(a: Attributes): string {
  if (a.path !== undefined) return `${a.verb} on ${a.path}`
  return `${a.verb} on ${a.resource}${a.app ? ` of app ${a.app}` : ''}${a.namespace ? ` in namespace "${a.namespace}"` : ''}`
}
