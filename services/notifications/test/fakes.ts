/** A scripted email channel for component tests: records what it is handed, fails when told to. */
import { ChannelError, type Channel, type OutgoingMessage } from '../src/channels/channel.ts';

export interface Script {
  /** Transient failures before it succeeds (default 0). */
  failTimes?: number;
  /** Every attempt is refused for good (SMTP 550 style). */
  permanent?: boolean;
  /** Every attempt fails, transiently. */
  always?: boolean;
  /** Once the failures are over, the next attempt waits for this before succeeding. */
  gate?: Promise<void>;
}

export class ScriptedChannel implements Channel {
  readonly describe = 'scripted test channel';
  /** Every attempt, in order, by address. */
  readonly attempts: OutgoingMessage[] = [];
  /** Messages handed over successfully. */
  readonly delivered: OutgoingMessage[] = [];
  private readonly scripts = new Map<string, Script>();

  constructor(readonly name: 'email' | 'sms') {}

  script(to: string, script: Script): void {
    this.scripts.set(to, { ...script });
  }

  to(address: string): { attempts: OutgoingMessage[]; delivered: OutgoingMessage[] } {
    return {
      attempts: this.attempts.filter((m) => m.to === address),
      delivered: this.delivered.filter((m) => m.to === address),
    };
  }

  async deliver(m: OutgoingMessage): Promise<void> {
    this.attempts.push(m);
    const s = this.scripts.get(m.to);
    if (s?.permanent) throw new ChannelError('SMTP 550 to RCPT TO: mailbox unavailable', true);
    if (s?.always) throw new Error('connect ECONNREFUSED 127.0.0.1:2525');
    if (s?.failTimes && s.failTimes > 0) {
      s.failTimes--;
      throw new ChannelError('SMTP 451 to RCPT TO: try again later', false);
    }
    if (s?.gate) await s.gate;
    this.delivered.push(m);
  }
}
