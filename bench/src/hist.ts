/**
 * Latency histograms (HdrHistogram): values recorded in microseconds, reported in milliseconds.
 * An empty histogram reports `count: 0` and null percentiles (a 0 would read as "instant").
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

export class Latency {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });

  /** Records one value given in milliseconds (clamped to ≥ 0: clocks are read on one machine). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentile(p: number): number | null {
    return this.h.totalCount === 0 ? null : round(this.h.getValueAtPercentile(p) / 1000);
  }

  summary(): LatencySummary {
    if (this.h.totalCount === 0)
      return { count: 0, p50: null, p90: null, p99: null, p999: null, max: null, mean: null };
    return {
      count: this.h.totalCount,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: round(this.h.maxValue / 1000),
      mean: round(this.h.mean / 1000),
    };
  }
}

/** Three significant figures are plenty for a report. */
export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n) || n === 0) return n;
  const scale = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(n))));
  return Math.round(n * scale) / scale;
}
