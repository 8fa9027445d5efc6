// The bare Node floor of the proxy benchmark (proxy.mjs), in a process of its own: what copying
// bytes between a client and the Pod costs on Node's public API, with nothing else to do (no
// routes, no API, no framing). Per Pod port one plain TCP listener (net.Socket pipe() both ways:
// the floor of the service proxy on net.Socket) and one TLS listener (TLS terminated, then the
// same pipe: the floor of any Node server that forwards bytes arriving in TLS records, as
// port-forward's do). Loopback only. Started with fork(); the first IPC message is
// { podIP, ports: { name: podPort }, key, cert }, the answer { tcp: { name: port }, tls: { name: port } }.
import net from 'node:net';
import tls from 'node:tls';

/** Client ↔ Pod, half-close passing through (pipe() ends the other side), errors closing both. */
function splice(client, host, port) {
  const up = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
  client.on('error', () => up.destroy());
  up.on('error', () => client.destroy());
  client.pipe(up);
  up.pipe(client);
}

const listen = (srv) =>
  new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve(srv.address().port));
  });

process.once('message', async ({ podIP, ports, key, cert }) => {
  const out = { tcp: {}, tls: {} };
  for (const [name, podPort] of Object.entries(ports)) {
    out.tcp[name] = await listen(net.createServer({ allowHalfOpen: true, noDelay: true }, (c) => splice(c, podIP, podPort)));
    out.tls[name] = await listen(
      tls.createServer({ key, cert, allowHalfOpen: true }, (c) => {
        c.setNoDelay(true);
        splice(c, podIP, podPort);
      }),
    );
  }
  process.send(out);
});
process.on('disconnect', () => process.exit(0));
