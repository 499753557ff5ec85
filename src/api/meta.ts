// The Kubernetes-style envelope shared by every resource.

export const GROUP = 'edgeplane.io'
export const VERSION = 'v1'
export const API_VERSION = `${GROUP}/${VERSION}`

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  ownerReferences?: OwnerReference[]
  managedFields?: { manager: string; operation: string; apiVersion: string; time?: string; fieldsType?: string; fieldsV1?: unknown; subresource?: string }[]
}

export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
}

export interface Resource<Spec = unknown, Status = unknown> {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: Spec
  status?: Status
}

/** A stable key for one object: kind/namespace/name (namespace empty for cluster-scoped kinds). */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`
}

export function keyOf(obj: Pick<Resource, 'kind' | 'metadata'>): string {
  return objectKey(obj.kind, obj.metadata.namespace, obj.metadata.name)
}

export function revisionOf(obj: Pick<Resource, 'metadata'>): number {
  return Number(obj.metadata.resourceVersion ?? 0)
}

export function setCondition(conditions: Condition[] | undefined, next: Condition, now: string): Condition[] {
  const list = [...(conditions ?? [])]
  const i = list.findIndex((c) => c.type === next.type)
  const prev = i >= 0 ? list[i] : undefined
  const merged: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now,
  }
  if (i >= 0) list[i] = merged
  else list.push(merged)
  return list
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type)
}

/** Marks an object as belonging to `owner` (kubectl describe and garbage-collection-aware tools read it). */
export function ownedBy(owner: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>): { ownerReferences?: OwnerReference[] } {
  const uid = owner.metadata.uid
  return uid ? { ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid, controller: true, blockOwnerDeletion: true }] } : {}
}
