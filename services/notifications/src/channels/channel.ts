/**
 * A channel adapter: one way of reaching a customer besides the in-app inbox. The delivery worker
 * hands it one message at a time, after the notification committed, and records what happened.
 */
export type ChannelName = 'email' | 'sms';

export interface OutgoingMessage {
  /** The delivery's id: a sink names its file by it, so an attempt repeated after a crash overwrites, never duplicates. */
  deliveryId: string;
  /** The address (an e-mail address, a phone number). Personal data: never logged. */
  to: string;
  subject: string;
  text: string;
}

export interface Channel {
  readonly name: ChannelName;
  /** Where it delivers, for the start-up log line (no credentials). */
  readonly describe: string;
  /** Resolves once the message is handed over; throws ChannelError (or anything: transient) otherwise. */
  deliver(message: OutgoingMessage): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A refusal the adapter understood: `permanent` ones (a mailbox that does not exist, SMTP 5xx) are
 * not tried again; the rest are retried with back-off. Any other error counts as transient.
 */
export class ChannelError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

export interface Channels {
  email: Channel;
  sms: Channel;
}
