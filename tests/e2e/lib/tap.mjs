// A logging TCP relay placed in front of an upstream (server-everything, the echo agent) so a test
// can check what the upstream really received — from the upstream's side, not the gateway's word.
// Every byte sent towards the upstream is kept in memory; `received()` returns it as text.
import net from 'node:net';

export async function startTap(targetPort, { host = '127.0.0.1' } = {}) {
  const chunks = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, host);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => chunks.push(Buffer.from(d)));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  return {
    port: server.address().port,
    /** Everything the upstream was sent so far (all connections, in arrival order). */
    received: () => Buffer.concat(chunks).toString('latin1'),
    /** Forgets what was recorded, so a test can look at one step only. */
    reset: () => { chunks.length = 0; },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
