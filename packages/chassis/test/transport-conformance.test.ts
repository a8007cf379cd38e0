/**
 * The transport conformance suite (testing/transport-conformance.ts) on the memory transport; the
 * distributed suite runs the same cases on RabbitMQ (test/distributed/transport-conformance.test.ts).
 */
import { MemoryTransport } from '../src/index.ts';
import { transportConformance } from '../src/testing/index.ts';

transportConformance('memory', {
  open: async () => {
    const t = new MemoryTransport();
    await t.connect();
    return t;
  },
  // One process: another instance of a service shares the process's transport.
  peer: async (t) => t,
  confirms: 'on-acknowledgement',
});
