/**
 * `ctx.watch(events, handler)`: every event of these types, as this instance sees it. Each instance
 * of the service gets each event (a queue of the instance's own: SubscriptionSpec.perInstance), with
 * no inbox, no transaction and no redelivery — for passing news on as it comes (the gateway's live
 * stream to browsers), never for changing state: that is what `on(…)` handlers are for.
 */
import type { DataOf, EventDef } from '../contract/contract.ts';
import type { Envelope } from '../messaging/envelope.ts';
import type { Logger } from '../observability/logger.ts';
import type { Consumer, Transport } from '../transport/transport.ts';

export type Watcher<E extends EventDef> = (data: DataOf<E>, envelope: Envelope<DataOf<E>>) => void;

/** Deliveries handed to a watcher at once: it only passes them on, so many. */
const WATCH_PREFETCH = 64;

export function watchEvents<E extends EventDef>(
  transport: Transport,
  service: string,
  log: Logger,
  events: readonly E[],
  watcher: Watcher<E>,
): Promise<Consumer> {
  const types = events.map((e) => e.type);
  return transport.subscribe(
    { group: service, name: 'watch', source: { kind: 'events', types }, prefetch: WATCH_PREFETCH, perInstance: true },
    async (delivery) => {
      try {
        const envelope = JSON.parse(delivery.body) as Envelope<DataOf<E>>;
        if (!types.includes(envelope.type) || typeof envelope.data !== 'object' || envelope.data === null)
          throw new Error(`not one of the watched events: ${String(envelope.type)}`);
        watcher(envelope.data, envelope);
      } catch (err) {
        // News, not state: a message that cannot be passed on is dropped, and said.
        log.warn({ err }, 'a watched event was dropped');
      }
      return { outcome: 'ack' };
    },
  );
}
