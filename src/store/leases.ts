// Leases in the database several servers share: who runs the controllers (with an epoch that fences
// its writes, see Backend.commit's fence), and which server holds each agent's link. Expiry is
// judged by the database's clock, the one clock every server shares.

export interface HeldLease { epoch: number }

export interface LiveLease { name: string; holder: string; value: string }

export interface LeaseTable {
  /**
   * Takes lease `name` for `holder` if it is free or expired, or renews it if `holder` has it; for
   * ttlMs from now. Undefined when another holder has it. Taking it (not renewing) bumps the epoch.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<HeldLease | undefined>
  /** Gives the lease up at once (a clean shutdown: the next leader need not wait for the expiry). */
  release(name: string, holder: string): Promise<void>
  /** Writes `holder`'s own record `name` (value, ttlMs from now), whoever had it. */
  put(name: string, holder: string, ttlMs: number, value: string): Promise<void>
  /** Unexpired records whose name starts with `prefix`. */
  live(prefix: string): Promise<LiveLease[]>
}
