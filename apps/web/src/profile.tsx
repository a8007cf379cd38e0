/** Profile: who is logged in, and where notifications go besides the in-app inbox (PATCH /v1/me). */
import { useEffect, useState } from 'preact/hooks';
import { api, type Customer } from './api.ts';
import { ErrorMessage, Field, Page, fieldError } from './ui.tsx';

type Channel = 'email' | 'sms' | 'push';
const CHANNELS: { channel: Channel; label: string }[] = [
  { channel: 'email', label: 'Email' },
  { channel: 'sms', label: 'SMS' },
  { channel: 'push', label: 'Push' },
];

function Preferences({ me, onSaved }: { me: Customer; onSaved: (next: Customer) => void }) {
  const [chosen, setChosen] = useState({ email: false, sms: false, push: false, ...me.preferences });
  const [phone, setPhone] = useState(me.phone ?? '');
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      const next = await api<Customer>('PATCH', '/me', {
        preferences: chosen,
        ...(phone.trim() ? { phone: phone.trim() } : {}),
      });
      onSaved(next);
      setSaved(true);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Notification preferences">
      <h2>Notifications</h2>
      <p>Every notification is in your in-app inbox. Also send them by:</p>
      <fieldset class="side">
        <legend>Channels</legend>
        {CHANNELS.map(({ channel, label }) => (
          <label key={channel}>
            <input
              type="checkbox"
              checked={chosen[channel]}
              onChange={(e) => setChosen({ ...chosen, [channel]: (e.target as HTMLInputElement).checked })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <Field
        label="Mobile number"
        value={phone}
        onInput={setPhone}
        type="tel"
        autoComplete="tel"
        required={false}
        hint="For SMS, in international form, e.g. +15550100123"
        error={fieldError(error, 'phone')}
      />
      <ErrorMessage error={error} />
      <button type="submit">Save preferences</button>
      {saved && <p role="status">Preferences saved</p>}
    </form>
  );
}

export function Profile() {
  const [me, setMe] = useState<Customer>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<Customer>('GET', '/me').then(setMe, setError);
  }, []);
  return (
    <Page title="Profile">
      <ErrorMessage error={error} />
      {me && (
        <>
          <dl>
            <dt>Name</dt>
            <dd>{me.name}</dd>
            <dt>Email</dt>
            <dd>{me.email}</dd>
          </dl>
          <Preferences me={me} onSaved={setMe} />
        </>
      )}
    </Page>
  );
}
