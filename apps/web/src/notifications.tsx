/** Notifications with the unread count; opening the page marks nothing read, a button per notification does. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Notification, type Page as List } from './api.ts';
import { ErrorMessage, Page, when } from './ui.tsx';

export function Notifications() {
  const [items, setItems] = useState<Notification[]>();
  const [error, setError] = useState<unknown>();
  const load = () =>
    api<List<Notification>>('GET', '/notifications?limit=50').then((page) => setItems(page.items), setError);
  useEffect(() => void load(), []);
  const markRead = async (n: Notification) => {
    try {
      await api('POST', `/notifications/${n.id}/read`);
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const unread = items?.filter((n) => !n.read).length ?? 0;
  return (
    <Page title="Notifications">
      <ErrorMessage error={error} />
      {items && <p role="status">{unread === 1 ? '1 unread' : `${unread} unread`}</p>}
      {items && items.length === 0 && <p>Nothing yet.</p>}
      <ul class="notifications">
        {items?.map((n) => (
          <li key={n.id} class={n.read ? 'read' : 'unread'}>
            <h2>{n.title}</h2>
            <p>{n.body}</p>
            <small>{when(n.at)}</small>
            {!n.read && (
              <button type="button" class="link" onClick={() => markRead(n)}>
                Mark “{n.title}” read
              </button>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
