// Waits for a condition by polling (real time), failing with what was awaited.
export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 15_000, detail?: () => unknown): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await fn()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ''}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
