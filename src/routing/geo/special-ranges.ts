// Address ranges that never say where a client is (RFC 6890 and successors): a database may still
// hold a registrant's country for some of them, so they are answered "unknown" unless an operator
// rule places them.
import { parseCidr } from './ip.js'
import type { IpAddress } from './ip.js'
import { PrefixTrie } from './prefix-trie.js'

const RANGES: [string, string][] = [
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
]

const table = new PrefixTrie<string>()
for (const [cidr, label] of RANGES) table.insert(parseCidr(cidr), label)

/** What kind of non-public range holds the address, or undefined for a public address. */
export function nonPublicRange(ip: IpAddress): string | undefined {
  return table.match(ip)
}
