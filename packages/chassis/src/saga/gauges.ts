/**
 * The saga gauges of a service, read from its saga table before each scrape: instances by type and
 * status (`simplebank_saga_instances`), and the age of the oldest active one per type and active
 * status (`simplebank_saga_oldest_active_age_seconds`, 0 when none: the "saga stuck" alerts read it).
 * Every service with sagas gets them from its runner.
 */
import { metricName } from '../config/naming.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SagaStatus } from './types.ts';

const ACTIVE: readonly SagaStatus[] = ['running', 'waiting', 'compensating'];

type Stats = Array<{ type: string; status: SagaStatus; count: number; oldestAgeSeconds: number }>;

/** Registers the gauges' collector for `service`'s saga `types`; returns its removal. */
export function exportSagaGauges(
  metrics: Metrics,
  service: string,
  types: readonly string[],
  stats: () => Promise<Stats>,
): () => void {
  const oldest = metrics.gauge(
    metricName('saga_oldest_active_age_seconds'),
    'Age of the oldest saga instance still active (running, waiting or compensating), by type and status; 0 when none',
    ['service', 'saga_type', 'status'],
  );
  const instances = metrics.gauge(metricName('saga_instances'), 'Saga instances by type and status', [
    'service',
    'saga_type',
    'status',
  ]);
  return metrics.addCollector(async () => {
    const rows = await stats();
    for (const s of rows) instances.set({ service, saga_type: s.type, status: s.status }, s.count);
    for (const type of new Set([...types, ...rows.map((s) => s.type)])) {
      for (const status of ACTIVE) {
        const row = rows.find((s) => s.type === type && s.status === status);
        oldest.set({ service, saga_type: type, status }, row ? row.oldestAgeSeconds : 0);
      }
    }
  });
}
