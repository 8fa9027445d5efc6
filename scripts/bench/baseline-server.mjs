// Baseline servers for the benchmark, run as child processes like tinykube itself:
//   bare     an https server answering 200 "ok" to everything (start time, RSS floor)
//   insert   fastify over https + better-sqlite3: POST inserts the JSON body into a table and
//            echoes it (the cheapest possible "create" with the same stack and durability)
//   fanout   an https server that relays each POST body to every open GET stream (watch floor)
// Usage: node baseline-server.mjs <mode> <port> <certfile> <keyfile>
import https from 'node:https';
import { readFileSync } from 'node:fs';

const [mode, portText, certFile, keyFile] = process.argv.slice(2);
const port = Number(portText);
const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };

if (mode === 'bare') {
  https.createServer(tls, (_req, res) => res.end('ok')).listen(port, '127.0.0.1');
} else if (mode === 'fanout') {
  const streams = new Set();
  https
    .createServer(tls, (req, res) => {
      if (req.url === '/readyz') return res.end('ok');
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const line = `{"type":"ADDED","object":${body}}\n`;
        for (const s of streams) s.write(line);
        res.end('{}');
      });
    })
    .listen(port, '127.0.0.1');
} else if (mode === 'insert') {
  const { default: Fastify } = await import('fastify');
  const { default: Database } = await import('better-sqlite3');
  // Same durability settings as tinykube's store: a file in WAL mode, synchronous NORMAL.
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { rmSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'tinykube-baseline-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanup);
  process.on('SIGTERM', () => process.exit(0));
  const db = new Database(join(dir, 'db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE objects (name TEXT PRIMARY KEY, rev INTEGER, data TEXT)');
  let rev = 0;
  const insert = db.prepare('INSERT INTO objects (name, rev, data) VALUES (?, ?, ?)');
  const app = Fastify({ https: tls, bodyLimit: 3 * 1024 * 1024 });
  app.post('/*', (req, reply) => {
    const obj = req.body;
    obj.metadata.resourceVersion = String(++rev);
    const data = JSON.stringify(obj);
    insert.run(obj.metadata.name, rev, data);
    reply.code(201).type('application/json').send(data);
  });
  app.get('/*', (_req, reply) => reply.send('ok'));
  await app.listen({ port, host: '127.0.0.1' });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
