// kubectl posts a SelfSubjectAccessReview as Kubernetes protobuf ("k8s\0" + runtime.Unknown holding
// the message). Only the spec's attributes are read, with a minimal protobuf field walker; the
// answer goes back as JSON, which client-go accepts whatever it sent.
interface Field { no: number; bytes?: Buffer }

function* fields(buf: Buffer): Generator<Field> {
  let i = 0
  const varint = (): number => {
    let v = 0, shift = 0
    for (;;) {
      if (i >= buf.length || shift > 49) throw new Error('truncated varint')
      const b = buf[i++]
      v += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return v
      shift += 7
    }
  }
  while (i < buf.length) {
    const key = varint()
    const no = Math.floor(key / 8), wire = key & 7
    if (wire === 0) { varint(); yield { no } }
    else if (wire === 2) {
      const len = varint()
      if (i + len > buf.length) throw new Error('truncated field')
      yield { no, bytes: buf.subarray(i, i + len) }
      i += len
    } else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else throw new Error(`unsupported wire type ${wire}`)
  }
}

function strings(buf: Buffer, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fields(buf)) if (f.bytes && names[f.no]) out[names[f.no]] = f.bytes.toString('utf8')
  return out
}

/** The review's spec as JSON would carry it; undefined when the bytes are not such a message. */
export function decodeReviewProtobuf(body: Buffer): { spec: Record<string, unknown> } | undefined {
  try {
    if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') return undefined
    let raw: Buffer | undefined
    for (const f of fields(body.subarray(4))) if (f.no === 2) raw = f.bytes // runtime.Unknown.raw
    if (!raw) return undefined
    const spec: Record<string, unknown> = {}
    for (const f of fields(raw)) {
      if (f.no !== 2 || !f.bytes) continue // SelfSubjectAccessReview.spec
      for (const g of fields(f.bytes)) {
        if (g.no === 1 && g.bytes) spec.resourceAttributes = strings(g.bytes, { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' })
        if (g.no === 2 && g.bytes) spec.nonResourceAttributes = strings(g.bytes, { 1: 'path', 2: 'verb' })
      }
    }
    return { spec }
  } catch {
    return undefined
  }
}
