// Runs wrk and parses its --latency output.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

export interface WrkResult {
  rps: number
  p50Ms: number
  p99Ms: number
  requests: number
  /** non-2xx/3xx responses plus socket errors */
  errors: number
}

const run = promisify(execFile)

export async function wrk(url: string, o: { threads: number; connections: number; seconds: number; host: string }): Promise<WrkResult> {
  const { stdout } = await run('wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-H', `Host: ${o.host}`, url],
    { maxBuffer: 1 << 20, timeout: (o.seconds + 30) * 1000 })
  return parseWrk(stdout)
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN)
  const lat = (pct: string) => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out)
    if (!m) return NaN
    const v = Number(m[1])
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v
  }
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) || 0
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: lat('50'),
    p99Ms: lat('99'),
    requests: num(/(\d+) requests in/),
    errors: errors + (sockErr ? sockErr.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  }
}
