/** Ports for a launcher or a test: one the system has free on loopback now. */
import { createServer } from 'node:net';

/** A port free on 127.0.0.1 at the moment of asking (two calls may name the same one). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}
