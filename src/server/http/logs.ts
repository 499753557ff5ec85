// Instance logs live on the agent's machine; the server relays them from the link to HTTP.
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface LogOptions { follow: boolean; tailLines?: number }

export interface LogStreamer {
  stream(req: FastifyRequest, reply: FastifyReply, namespace: string, name: string, opts: LogOptions): Promise<void>
}
