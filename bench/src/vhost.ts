/**
 * A RabbitMQ vhost of the bench's own, when `rabbitmqctl` can make one (a local broker, as root):
 * another SimpleBank on the same broker (a developer's, a test run's) would otherwise share the
 * `rpc.<service>` queues with ours and answer our calls from its databases. Removed at the end, and
 * synchronously at exit if the bench dies first. Without rabbitmqctl: the URL's vhost, as given.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { atExit } from './procs.ts';

const run = promisify(execFile);

export interface Vhost {
  name: string;
  url: string;
  remove(): Promise<void>;
}

export async function privateVhost(baseUrl: string, name: string): Promise<Vhost | undefined> {
  try {
    await run('rabbitmqctl', ['add_vhost', name], { timeout: 30_000 });
  } catch {
    return undefined;
  }
  let removed = false;
  const forget = atExit(() => {
    if (!removed) execFileSync('rabbitmqctl', ['delete_vhost', name], { timeout: 30_000, stdio: 'ignore' });
  });
  const user = decodeURIComponent(new URL(baseUrl).username || 'guest');
  await run('rabbitmqctl', ['set_permissions', '-p', name, user, '.*', '.*', '.*'], { timeout: 30_000 });
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    name,
    url: url.toString(),
    async remove() {
      if (removed) return;
      removed = true;
      forget();
      await run('rabbitmqctl', ['delete_vhost', name], { timeout: 30_000 }).catch(() => {});
    },
  };
}
