/**
 * Strategies: the list, and creating one. The percentages must sum to exactly 100; the API says so
 * (422 allocations_must_sum_to_100, a field error on /assets) and the page shows its problem next to
 * the allocations rather than adding them up itself.
 */
import { useEffect, useState } from 'preact/hooks';
import { Problem, api, idempotencyKey, type Page as List, type Strategy } from './api.ts';
import { ErrorMessage, Field, fieldError } from './ui.tsx';

interface Allocation {
  assetId: string;
  percentage: string;
}

/** A field error of allocation `i` (paths like /body/assets/1/percentage). */
function allocationError(error: unknown, i: number, field: 'assetId' | 'percentage'): string | undefined {
  if (!(error instanceof Problem)) return undefined;
  return error.errors.find((e) => e.path.endsWith(`/assets/${i}/${field}`))?.message;
}

/** An error about the allocations as a whole (/assets, or /body/assets). */
function allocationsError(error: unknown): string | undefined {
  if (!(error instanceof Problem)) return undefined;
  return error.errors.find((e) => /(^|\/)assets$/.test(e.path))?.message;
}

/** A new strategy starts with two empty allocations (one asset would be 100 %, rarely a strategy). */
const blank = (): Allocation[] => [
  { assetId: '', percentage: '' },
  { assetId: '', percentage: '' },
];

function CreateStrategy({ onCreated }: { onCreated: (s: Strategy) => void }) {
  const [name, setName] = useState('');
  const [allocations, setAllocations] = useState<Allocation[]>(blank);
  const [error, setError] = useState<unknown>();
  const set = (i: number, change: Partial<Allocation>) =>
    setAllocations(allocations.map((a, j) => (j === i ? { ...a, ...change } : a)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const created = await api<Strategy>(
        'POST',
        '/admin/strategies',
        {
          name,
          assets: allocations.map((a) => ({
            assetId: a.assetId.trim().toUpperCase(),
            percentage: a.percentage.trim(),
          })),
        },
        idempotencyKey(),
      );
      setName('');
      setAllocations(blank());
      onCreated(created);
    } catch (err) {
      setError(err);
    }
  };
  const whole = allocationsError(error);
  return (
    <form onSubmit={submit} noValidate aria-label="Create a strategy">
      <Field label="Strategy name" value={name} onInput={setName} error={fieldError(error, 'name')} />
      <fieldset class="allocations" aria-describedby={whole ? 'allocations-error' : undefined}>
        <legend>Allocations (percentages summing to 100)</legend>
        {allocations.map((a, i) => (
          <div class="allocation" key={i}>
            <Field
              label={`Asset ${i + 1}`}
              value={a.assetId}
              onInput={(v) => set(i, { assetId: v })}
              hint="A ticker, e.g. AAPL"
              error={allocationError(error, i, 'assetId')}
            />
            <Field
              label={`Percentage ${i + 1}`}
              value={a.percentage}
              onInput={(v) => set(i, { percentage: v })}
              inputMode="decimal"
              error={allocationError(error, i, 'percentage')}
            />
            {allocations.length > 1 && (
              <button type="button" class="link" onClick={() => setAllocations(allocations.filter((_, j) => j !== i))}>
                Remove asset {i + 1}
              </button>
            )}
          </div>
        ))}
        {whole && (
          <p id="allocations-error" class="field-error">
            {whole}
          </p>
        )}
        <button
          type="button"
          class="secondary"
          onClick={() => setAllocations([...allocations, { assetId: '', percentage: '' }])}
        >
          Add asset
        </button>
      </fieldset>
      <ErrorMessage error={error} />
      <button type="submit">Create strategy</button>
    </form>
  );
}

export function StrategiesAdmin() {
  const [strategies, setStrategies] = useState<Strategy[]>();
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState('');
  const load = () => api<List<Strategy>>('GET', '/strategies?limit=100').then((p) => setStrategies(p.items), setError);
  useEffect(() => void load(), []);
  return (
    <section aria-labelledby="strategies">
      <h2 id="strategies">Strategies</h2>
      <ErrorMessage error={error} />
      {strategies && strategies.length === 0 && <p>No strategy yet.</p>}
      {strategies && strategies.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Strategy</th>
              <th scope="col">Allocations</th>
            </tr>
          </thead>
          <tbody>
            {strategies.map((s) => (
              <tr key={s.id}>
                <th scope="row">{s.name}</th>
                <td>{s.assets.map((a) => `${a.assetId} ${a.percentage} %`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p role="status" class="ok">
        {created}
      </p>
      <CreateStrategy
        onCreated={(s) => {
          setCreated(`Strategy ${s.name} created.`);
          void load();
        }}
      />
    </section>
  );
}
