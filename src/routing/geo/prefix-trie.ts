// Longest-prefix match over IP networks: a binary trie per family. A lookup walks at most 32 or 128
// bits whatever the number of entries, so thousands of operator rules cost the same as five.
import { bitAt, type Cidr, type IpAddress } from './ip.js'

interface TrieNode<T> {
  zero?: TrieNode<T>
  one?: TrieNode<T>
  value?: T
}

export class PrefixTrie<T extends NonNullable<unknown>> {
  private v4: TrieNode<T> = {}
  private v6: TrieNode<T> = {}
  private count = 0

  get size(): number {
    return this.count
  }

  /** Adds the network; returns the value already stored for exactly that network instead, if any. */
  insert(cidr: Cidr, value: T): T | undefined {
    let node = cidr.network.family === 4 ? this.v4 : this.v6
    for (let i = 0; i < cidr.prefix; i++) {
      node = bitAt(cidr.network.bytes, i) ? (node.one ??= {}) : (node.zero ??= {})
    }
    if (node.value !== undefined) return node.value
    node.value = value
    this.count++
    return undefined
  }

  /** The value of the most specific network containing the address. */
  match(ip: IpAddress): T | undefined {
    let node: TrieNode<T> | undefined = ip.family === 4 ? this.v4 : this.v6
    const bits = ip.bytes.length * 8
    let best = node.value
    for (let i = 0; i < bits && node; i++) {
      node = bitAt(ip.bytes, i) ? node.one : node.zero
      if (node?.value !== undefined) best = node.value
    }
    return best
  }
}
