/**
 * The SMS channel: a file sink (there is no SMS gateway in development), one file per message at
 * `<sink>/sms/<delivery id>.txt` with the number and the text, as a gateway would be handed them.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Channel } from './channel.ts';

export function fileSms(dir: string): Channel {
  const folder = join(dir, 'sms');
  return {
    name: 'sms',
    describe: `file sink ${folder}`,
    async deliver(m) {
      await mkdir(folder, { recursive: true });
      const file = join(folder, `${m.deliveryId}.txt`);
      await writeFile(`${file}.tmp`, `To: ${m.to}\n\n${m.text}\n`);
      await rename(`${file}.tmp`, file);
    },
  };
}
