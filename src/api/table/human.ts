// Human forms of times and sizes, shared by the server's Table answers and the CLI's tables.

/** How long ago an ISO instant was ("45s", "12m", "3h", "2d"). */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>'
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 120) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h`
  return `${Math.floor(h / 24)}d`
}

/** Time left until an ISO instant ("45s", "12m"; "0s" once past). */
export function until(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-'
  return age(new Date(now - Math.max(0, Date.parse(iso) - now)).toISOString(), now)
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-'
  if (n < 1024) return `${n}B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)}KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}MiB`
  return `${(n / 1024 ** 3).toFixed(1)}GiB`
}
