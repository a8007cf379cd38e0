/**
 * Dead letters of every service: the list, each one inspected (its facts and the message as it
 * arrived, secrets and personal data redacted by the service), replayed or discarded, with the
 * outcome said.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type Page as List } from './api.ts';
import type { DeadLetter } from './admin-api.ts';
import { ErrorMessage, when } from './ui.tsx';

/** The letter's message, read when it is inspected (GET /v1/admin/dead-letters/{id}). */
function Message({ id }: { id: string }) {
  const [message, setMessage] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ message: unknown }>('GET', `/admin/dead-letters/${id}`).then((l) => setMessage(l.message), setError);
  }, [id]);
  if (error) return <ErrorMessage error={error} />;
  if (message === undefined) return <p>Reading the message…</p>;
  return (
    <figure>
      <figcaption>Message (redacted)</figcaption>
      <pre class="message" tabIndex={0} aria-label="Message">
        {JSON.stringify(message, null, 2)}
      </pre>
    </figure>
  );
}

function Details({ letter }: { letter: DeadLetter }) {
  return (
    <>
      <dl class="letter">
        <dt>Id</dt>
        <dd>{letter.id}</dd>
        <dt>Service</dt>
        <dd>{letter.service}</dd>
        <dt>Message type</dt>
        <dd>{letter.messageType ?? 'unknown (unparseable)'}</dd>
        <dt>Reason</dt>
        <dd class="reason-text">{letter.reason}</dd>
        <dt>Attempts</dt>
        <dd>{letter.attempts}</dd>
        <dt>First failed</dt>
        <dd>{when(letter.firstFailedAt)}</dd>
        <dt>Last failed</dt>
        <dd>{when(letter.lastFailedAt)}</dd>
      </dl>
      <Message id={letter.id} />
    </>
  );
}

function Row({
  letter,
  onGone,
  onChanged,
}: {
  letter: DeadLetter;
  onGone: (outcome: string) => void;
  onChanged: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const act = async (action: 'replay' | 'discard') => {
    setBusy(true);
    setError(undefined);
    try {
      if (action === 'replay') {
        const r = await api<{ outcome: string }>('POST', `/admin/dead-letters/${letter.id}/replay`);
        onGone(`Replayed ${letter.messageType ?? letter.id}: ${r.outcome}`);
      } else {
        await api('DELETE', `/admin/dead-letters/${letter.id}`);
        onGone(`Discarded ${letter.messageType ?? letter.id}`);
      }
    } catch (err) {
      // A replay its handler refuses again stays a dead letter (one more attempt): show why, and the new count.
      setError(err);
      onChanged();
    } finally {
      setBusy(false);
    }
  };
  const label = letter.messageType ?? letter.id;
  return (
    <>
      <tr>
        <th scope="row">{label}</th>
        <td>{letter.service}</td>
        <td>{letter.attempts}</td>
        <td>{when(letter.lastFailedAt)}</td>
        <td class="actions">
          <button
            type="button"
            class="secondary"
            aria-expanded={open}
            aria-label={`Inspect ${label}`}
            onClick={() => setOpen(!open)}
          >
            Inspect
          </button>
          <button type="button" disabled={busy} aria-label={`Replay ${label}`} onClick={() => void act('replay')}>
            Replay
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy}
            aria-label={`Discard ${label}`}
            onClick={() => void act('discard')}
          >
            Discard
          </button>
        </td>
      </tr>
      {(open || error !== undefined) && (
        <tr>
          <td colSpan={5}>
            <ErrorMessage error={error} />
            {open && <Details letter={letter} />}
          </td>
        </tr>
      )}
    </>
  );
}

export function DeadLetters() {
  const [letters, setLetters] = useState<DeadLetter[]>();
  const [error, setError] = useState<unknown>();
  const [outcome, setOutcome] = useState('');
  const load = () =>
    api<List<DeadLetter>>('GET', '/admin/dead-letters?limit=100').then((page) => {
      setLetters(page.items);
      setError(undefined);
    }, setError);
  useEffect(() => void load(), []);
  return (
    <>
      <p class="hint">
        Messages a service could not handle, kept by the service that received them. Replay hands one to its handler
        again; Discard gives it up for good.
      </p>
      <ErrorMessage error={error} />
      <p role="status" class="ok">
        {outcome}
      </p>
      {letters && letters.length === 0 && <p>No dead letters.</p>}
      {letters && letters.length > 0 && (
        <table>
          <caption>Newest first</caption>
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Service</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last failed</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {letters.map((l) => (
              <Row
                key={l.id}
                letter={l}
                onChanged={() => void load()}
                onGone={(text) => {
                  setOutcome(text);
                  void load();
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      <button type="button" class="secondary" onClick={() => void load()}>
        Refresh dead letters
      </button>
    </>
  );
}
