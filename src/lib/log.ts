// JSON logs (pino). Level from EDGEPLANE_LOG_LEVEL; credentials are redacted wherever they appear.
import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(name: string, level = process.env.EDGEPLANE_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['token', 'credential', 'joinToken', '*.token', '*.credential', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  })
}
