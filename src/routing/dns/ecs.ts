// EDNS Client Subnet (RFC 7871): validate the option a resolver sends and build the one we echo.
import type { PacketOpt } from 'dns-packet'

export const ECS_CODE = 8

export interface ClientSubnet {
  family: 1 | 2
  sourcePrefix: number
  /** The subnet address with every bit beyond the source prefix zero, e.g. 198.51.100.0. */
  address: string
}

/**
 * The client subnet of a decoded ECS option, or undefined when it is malformed and the query must
 * get FORMERR (RFC 7871 §6, §7.1.1): an unknown family, a source prefix longer than the address,
 * a non-zero scope in a query, too few or too many address octets, or address bits set beyond the
 * source prefix. `data` is the raw option payload; `ip` is dns-packet's decoding of its address.
 */
export function parseClientSubnet(data: Buffer | undefined, ip: string | undefined): ClientSubnet | undefined {
  if (!data || data.length < 4 || ip === undefined) return undefined
  const family = data.readUInt16BE(0)
  if (family !== 1 && family !== 2) return undefined
  const source = data[2]
  if (source > (family === 1 ? 32 : 128) || data[3] !== 0) return undefined
  const octets = data.length - 4
  if (octets !== Math.ceil(source / 8)) return undefined
  const spare = source % 8
  if (spare && (data[data.length - 1] & (0xff >> spare)) !== 0) return undefined
  return { family, sourcePrefix: source, address: ip }
}

/** The ECS option of a response: the query's family, prefix and address, with our scope (≤ source). */
export function clientSubnetReply(ecs: ClientSubnet, scopePrefix: number): PacketOpt {
  const scope = Number.isInteger(scopePrefix) && scopePrefix > 0 ? Math.min(scopePrefix, ecs.sourcePrefix) : 0
  return { code: ECS_CODE, family: ecs.family, sourcePrefixLength: ecs.sourcePrefix, scopePrefixLength: scope, ip: ecs.address }
}
