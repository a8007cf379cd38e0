/** Profile: who is logged in. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Customer } from './api.ts';
import { ErrorMessage, Page } from './ui.tsx';

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
        <dl>
          <dt>Name</dt>
          <dd>{me.name}</dd>
          <dt>Email</dt>
          <dd>{me.email}</dd>
        </dl>
      )}
    </Page>
  );
}
