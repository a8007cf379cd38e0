/**
 * A small line chart of our own (an SVG polyline: no charting library for one line). It is an image
 * to assistive technology (role="img") whose name says what a sighted reader takes from it: what,
 * how many points, from which value to which. Values arrive as text (decimal strings, or numbers the
 * caller formatted) and that text is what is read and shown; Number is used only to place points.
 */

export interface ChartPoint {
  /** Where along the x axis (a time in ms, or an index). */
  x: number;
  /** The value as text, as shown (e.g. "228.10"): read as a number only to place the point. */
  y: string;
}

/** "AAPL price, 30 points, from 228.10 to 231.40": the chart's accessible name. */
export function chartLabel(what: string, points: readonly ChartPoint[], unit = ''): string {
  if (points.length === 0) return `${what}: no data yet`;
  const first = points[0]!.y;
  const last = points[points.length - 1]!.y;
  if (points.length === 1) return `${what}, 1 point, ${first}${unit}`;
  return `${what}, ${points.length} points, from ${first}${unit} to ${last}${unit}`;
}

const WIDTH = 300;
const HEIGHT = 80;
const PAD = 4;

/** The polyline's points in the viewBox: x spread over the width, y over the height (higher value, higher up). */
function path(points: readonly ChartPoint[]): string {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => Number(p.y));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? WIDTH / 2 : PAD + ((x - x0) / (x1 - x0)) * (WIDTH - 2 * PAD));
  // A flat line sits in the middle rather than on an edge.
  const sy = (y: number) => (y1 === y0 ? HEIGHT / 2 : HEIGHT - PAD - ((y - y0) / (y1 - y0)) * (HEIGHT - 2 * PAD));
  return points.map((p, i) => `${sx(p.x).toFixed(1)},${sy(ys[i]!).toFixed(1)}`).join(' ');
}

/** The lowest and highest values as their own text (compared as numbers, shown as given). */
function extremes(points: readonly ChartPoint[]): { low: string; high: string } {
  let low = points[0]!;
  let high = points[0]!;
  for (const p of points) {
    if (Number(p.y) < Number(low.y)) low = p;
    if (Number(p.y) > Number(high.y)) high = p;
  }
  return { low: low.y, high: high.y };
}

interface LineChartProps {
  /** The accessible name: usually chartLabel(...). */
  label: string;
  points: readonly ChartPoint[];
  /** How a value is shown beside the chart (e.g. usd); the text as given by default. */
  format?: (value: string) => string;
  /** Said instead of a chart when there are no points. */
  empty?: string;
}

export function LineChart({ label, points, format = (v) => v, empty = 'No data yet.' }: LineChartProps) {
  if (points.length === 0) return <p class="hint chart-empty">{empty}</p>;
  const { low, high } = extremes(points);
  return (
    <figure class="chart">
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        focusable="false"
      >
        <polyline
          points={points.length === 1 ? `${PAD},${HEIGHT / 2} ${WIDTH - PAD},${HEIGHT / 2}` : path(points)}
          fill="none"
          stroke="currentColor"
          stroke-width="2"
          vector-effect="non-scaling-stroke"
        />
      </svg>
      {/* The same facts as the name, for sighted readers; hidden from assistive technology, which has the name. */}
      <figcaption aria-hidden="true" class="hint">
        Low {format(low)} · High {format(high)} · Last {format(points[points.length - 1]!.y)}
      </figcaption>
    </figure>
  );
}
