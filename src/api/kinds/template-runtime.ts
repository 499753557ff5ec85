// Checks of a template that depend on its runtime: a process needs a command and has no image; a
// container needs an image, and only it may use containerPort, volumes and a read-only root.
import { isImageRef, parseImageRef } from '../image-ref.js'
import { parseMemory } from '../quantity.js'
import type { Cause } from '../errors.js'
import type { Template } from './app.js'

export function runtimeCauses(t: Template, at = 'spec.template'): Cause[] {
  const causes: Cause[] = []
  const runtime = t.runtime ?? 'process'
  if (runtime === 'process') {
    if (!t.command) causes.push({ field: `${at}.command`, reason: 'FieldValueRequired', message: 'a process template needs a command (or set runtime: container and an image)' })
    const only = 'is for runtime: container only'
    if (t.image !== undefined) causes.push({ field: `${at}.image`, reason: 'FieldValueForbidden', message: `image ${only}` })
    for (const [i, p] of (t.ports ?? []).entries()) {
      if (p.containerPort !== undefined) causes.push({ field: `${at}.ports[${i}].containerPort`, reason: 'FieldValueForbidden', message: `containerPort ${only} (a process listens on PORT itself)` })
    }
    if (t.volumes !== undefined) causes.push({ field: `${at}.volumes`, reason: 'FieldValueForbidden', message: `volumes ${only}` })
    if (t.readOnlyRootFilesystem !== undefined) causes.push({ field: `${at}.readOnlyRootFilesystem`, reason: 'FieldValueForbidden', message: `readOnlyRootFilesystem ${only}` })
    if (t.resources?.pids !== undefined) causes.push({ field: `${at}.resources.pids`, reason: 'FieldValueForbidden', message: `a pids limit ${only} (process resources are not enforced)` })
    return causes
  }
  if (!t.image) {
    causes.push({ field: `${at}.image`, reason: 'FieldValueRequired', message: 'a container template needs an image (registry/repository:tag or @sha256:digest)' })
  } else {
    const ref = parseImageRef(t.image)
    if (!isImageRef(ref)) causes.push({ field: `${at}.image`, reason: 'FieldValueInvalid', message: ref.error })
  }
  if (t.workingDir !== undefined && !t.workingDir.startsWith('/')) {
    causes.push({ field: `${at}.workingDir`, reason: 'FieldValueInvalid', message: 'a container working directory is an absolute path in the image' })
  }
  const paths = new Set<string>()
  const names = new Set<string>()
  for (const [i, v] of (t.volumes ?? []).entries()) {
    if (names.has(v.name)) causes.push({ field: `${at}.volumes[${i}].name`, reason: 'FieldValueDuplicate', message: `volume name "${v.name}" is used twice` })
    if (paths.has(v.mountPath)) causes.push({ field: `${at}.volumes[${i}].mountPath`, reason: 'FieldValueDuplicate', message: `mountPath "${v.mountPath}" is used twice` })
    if (/[,:]/.test(v.mountPath)) causes.push({ field: `${at}.volumes[${i}].mountPath`, reason: 'FieldValueInvalid', message: 'a mountPath has no "," or ":"' })
    names.add(v.name)
    paths.add(v.mountPath)
    if (v.sizeLimit !== undefined) {
      try {
        if (parseMemory(v.sizeLimit) < 4096) causes.push({ field: `${at}.volumes[${i}].sizeLimit`, reason: 'FieldValueInvalid', message: 'at least 4Ki' })
      } catch (e) {
        causes.push({ field: `${at}.volumes[${i}].sizeLimit`, reason: 'FieldValueInvalid', message: (e as Error).message.replace(/^[^:]+: /, '') })
      }
    }
  }
  const mem = t.resources?.memory
  if (mem !== undefined) {
    try {
      // Below this the OCI runtime refuses to create the container at all.
      if (parseMemory(mem) < 6 * 1024 * 1024) causes.push({ field: `${at}.resources.memory`, reason: 'FieldValueInvalid', message: 'a container memory limit is at least 6Mi' })
    } catch { /* reported by the quantity check */ }
  }
  return causes
}
