// The search tree of an .mmdb file, walked with the address bytes we already parsed. The maxmind
// Reader walks the same tree but only from a string (which it re-parses per lookup, the larger part
// of its cost); this walk finds the network and its record pointer, so the caller can decode each
// distinct record once through the Reader and reuse the result. Same algorithm as mmdb-lib's
// findAddressInTree (MaxMind DB format 2.0, 24/28/32-bit records).
import type { IpAddress } from './ip.js'

export interface TreeMatch {
  /** Identifies the data record (equal pointers, equal records). */
  pointer: number
  /** Bits of the address consumed to reach it: the network's prefix length in the address's family. */
  prefixLength: number
}

export class MmdbSearchTree {
  private readonly ipv4Start: number

  constructor(
    private readonly db: Buffer,
    private readonly nodeCount: number,
    private readonly recordSize: number,
    ipVersion: number,
  ) {
    if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new Error(`unsupported record size ${recordSize}`)
    // In an IPv6 tree, IPv4 addresses live under ::/96: follow 96 zero bits once, here.
    let node = 0
    if (ipVersion === 6) for (let i = 0; i < 96 && node < nodeCount; i++) node = this.record(node, 0)
    this.ipv4Start = node
  }

  find(ip: IpAddress): TreeMatch | undefined {
    const bytes = ip.bytes
    const bits = bytes.length * 8
    let node = ip.family === 4 ? this.ipv4Start : 0
    let depth = 0
    for (; depth < bits && node < this.nodeCount; depth++) {
      node = this.record(node, (bytes[depth >> 3] >> (7 - (depth & 7))) & 1)
    }
    // node === nodeCount means "no data" for this network.
    return node > this.nodeCount ? { pointer: node, prefixLength: depth } : undefined
  }

  private record(node: number, bit: number): number {
    const db = this.db
    if (this.recordSize === 24) {
      const o = node * 6 + bit * 3
      return (db[o] << 16) | (db[o + 1] << 8) | db[o + 2]
    }
    if (this.recordSize === 28) {
      const o = node * 7
      // The middle byte holds the high nibble of both records.
      return bit
        ? ((db[o + 3] & 0x0f) << 24) | (db[o + 4] << 16) | (db[o + 5] << 8) | db[o + 6]
        : ((db[o + 3] & 0xf0) << 20) | (db[o] << 16) | (db[o + 1] << 8) | db[o + 2]
    }
    const o = node * 8 + bit * 4
    return db.readUInt32BE(o)
  }
}
