// Who holds a local port: read from /proc (the socket's inode, then the process with that inode
// open), so the demo can say "127.0.0.1:7420 is in use by pid 1234 (node … server)".
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'

export interface Holder { pid: number; command: string }

function inodes(port: number, files: string[], udp: boolean): Set<string> {
  const out = new Set<string>()
  for (const f of files) {
    let text = ''
    try { text = readFileSync(f, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/)
      if (c.length < 10) continue
      const localPort = parseInt(c[1].split(':')[1], 16)
      // TCP: listening sockets (state 0A); UDP: any bound socket.
      if (localPort === port && (udp || c[3] === '0A')) out.add(c[9])
    }
  }
  return out
}

export function portHolder(port: number, udp = false): Holder | undefined {
  const want = inodes(port, udp ? ['/proc/net/udp', '/proc/net/udp6'] : ['/proc/net/tcp', '/proc/net/tcp6'], udp)
  if (!want.size) return undefined
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    let fds: string[] = []
    try { fds = readdirSync(`/proc/${d}/fd`) } catch { continue }
    for (const fd of fds) {
      let target = ''
      try { target = readlinkSync(`/proc/${d}/fd/${fd}`) } catch { continue }
      const m = /^socket:\[(\d+)\]$/.exec(target)
      if (m && want.has(m[1])) {
        let command = ''
        try { command = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') } catch { /* gone */ }
        return { pid: Number(d), command }
      }
    }
  }
  return undefined
}

/** Whether HOST:PORT can be bound now (TCP, or UDP). */
export function canBind(host: string, port: number, udp = false): Promise<boolean> {
  return new Promise((resolve) => {
    if (udp) {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4')
      s.once('error', () => { s.close(); resolve(false) })
      s.bind(port, host, () => s.close(() => resolve(true)))
      return
    }
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

/** Why HOST:PORT cannot be used, naming the process that holds it; undefined when it is free. */
export async function portProblem(what: string, host: string, port: number, udp = false): Promise<string | undefined> {
  if (await canBind(host, port, udp)) return undefined
  const h = portHolder(port, udp)
  const who = h ? `pid ${h.pid}${h.command ? ` (${h.command.length > 100 ? h.command.slice(0, 100) + '…' : h.command})` : ''}` : 'another process'
  return `${what} ${host}:${port}${udp ? '/udp' : ''} is in use by ${who}` +
    (h ? `; a demo left running? stop it with "kill ${h.pid}"` : '') + ', or choose another address'
}
