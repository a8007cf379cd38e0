/**
 * The broker a distributed test run uses: a vhost of the run's own when rabbitmqctl can make one
 * (two runs at once share nothing; the vhost and all in it go at the end), else the URL's own vhost,
 * where the run's names must be its own and its queues are deleted one by one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { DELAY_BUCKETS_MS } from '../../packages/chassis/src/transport/rabbitmq/topology.ts';

const execFileP = promisify(execFile);

export interface RunVhost {
  /** The AMQP URL to connect to. */
  readonly url: string;
  /** True when the vhost is the run's own (deleting it deletes everything the run made). */
  readonly own: boolean;
  /** Deletes the run's vhost, or else the given queues and their delay queues. */
  drop(queues?: Iterable<string>): Promise<void>;
}

export async function runVhost(
  name: string,
  baseUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
): Promise<RunVhost> {
  let own = false;
  let url = baseUrl;
  try {
    const user = decodeURIComponent(new URL(baseUrl).username || 'guest');
    await execFileP('rabbitmqctl', ['add_vhost', name]);
    own = true;
    await execFileP('rabbitmqctl', ['set_permissions', '-p', name, user, '.*', '.*', '.*']);
    const u = new URL(baseUrl);
    u.pathname = `/${encodeURIComponent(name)}`;
    url = u.toString();
  } catch {
    // No rabbitmqctl (a remote broker): the URL's vhost, shared.
  }
  return {
    url,
    own,
    async drop(queues = []) {
      if (own) {
        await execFileP('rabbitmqctl', ['delete_vhost', name]).catch(() => {});
        return;
      }
      const list = [...queues];
      if (list.length === 0) return;
      const c = await amqp.connect(url);
      const ch = await c.createChannel();
      for (const q of list) {
        await ch.deleteQueue(q).catch(() => {});
        for (const ms of DELAY_BUCKETS_MS) await ch.deleteQueue(`${q}.delay.${ms}`).catch(() => {});
      }
      await c.close().catch(() => {});
    },
  };
}
