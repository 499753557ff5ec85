// A tiny HTTP app for the demo: answers with where it runs (site, node, instance).
import { createServer } from 'node:http'

const host = process.env.HOST ?? '127.0.0.1'
const port = Number(process.env.PORT ?? 8080)
const who = {
  app: process.env.EDGEPLANE_APP,
  instance: process.env.EDGEPLANE_INSTANCE,
  site: process.env.EDGEPLANE_SITE,
  node: process.env.EDGEPLANE_NODE,
  pid: process.pid,
}

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ hello: process.env.GREETING ?? 'from the edge', ...who, path: req.url }) + '\n')
})
server.listen(port, host, () => console.log(`hello listening on ${host}:${port} (site ${who.site}, instance ${who.instance})`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
