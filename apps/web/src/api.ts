/**
 * The public API, from the browser. The access token lives in this module's memory only (never in
 * storage); the refresh token only in the httpOnly cookie the API sets (decision 0033), which no
 * script can read. A reload restores the session from the cookie (`restoreSession`). A 401 is
 * answered once by refreshing (the refresh token rotates on every use), then the request is retried.
 */

/** An RFC 9457 problem from the API, with its field errors. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly code: string | undefined,
    readonly errors: { path: string; message: string }[],
  ) {
    super(detail ?? title);
  }

  /** The message for the field at `path` (a JSON pointer like "/body/amount", or its last segment). */
  fieldError(field: string): string | undefined {
    return this.errors.find(
      (e) => e.path === field || e.path.split('/').pop() === field || e.path.endsWith(`/${field}`),
    )?.message;
  }
}

interface Tokens {
  accessToken: string;
}

let tokens: Tokens | undefined;
const listeners = new Set<() => void>();

export function signedIn(): boolean {
  return tokens !== undefined;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setTokens(next: Tokens | undefined): void {
  tokens = next;
  for (const listener of listeners) listener();
}

async function send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  const all: Record<string, string> = { accept: 'application/json, application/problem+json', ...headers };
  if (tokens) all.authorization = `Bearer ${tokens.accessToken}`;
  if (body !== undefined) all['content-type'] = 'application/json';
  return fetch(`/v1${path}`, { method, headers: all, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function problemOf(res: Response): Promise<Problem> {
  try {
    const p = (await res.json()) as {
      title?: string;
      detail?: string;
      code?: string;
      errors?: { path: string; message: string }[];
    };
    return new Problem(res.status, p.title ?? res.statusText, p.detail, p.code, p.errors ?? []);
  } catch {
    return new Problem(res.status, res.statusText || 'Request failed', undefined, undefined, []);
  }
}

let refreshing: Promise<boolean> | undefined;

/** Asks for a new access token with the cookie's refresh token (which rotates); false when there is none or it is refused. */
async function refreshWithCookie(): Promise<Tokens | undefined> {
  const res = await fetch('/v1/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    credentials: 'same-origin',
  });
  if (!res.ok) return undefined;
  return { accessToken: ((await res.json()) as Tokens).accessToken };
}

/** One refresh at a time: concurrent 401s wait for the same rotation (a reused refresh token revokes the family). */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    if (!tokens) return false;
    const next = await refreshWithCookie();
    if (!next) {
      setTokens(undefined);
      return false;
    }
    tokens = next;
    return true;
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** Calls the API; resolves with the JSON body (undefined for 204), rejects with a Problem. */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let res = await send(method, path, body, headers);
  if (res.status === 401 && tokens && (await refresh())) res = await send(method, path, body, headers);
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Opens a response that streams (GET /v1/stream), refreshing the token once on a 401 like `api`. */
export async function openStream(path: string, signal: AbortSignal): Promise<Response> {
  const open = () =>
    fetch(`/v1${path}`, {
      headers: { accept: 'text/event-stream', ...(tokens ? { authorization: `Bearer ${tokens.accessToken}` } : {}) },
      signal,
    });
  let res = await open();
  if (res.status === 401 && tokens && (await refresh())) res = await open();
  if (!res.ok) throw await problemOf(res);
  return res;
}

/** A fresh Idempotency-Key for one create (a retry of the same click would reuse it). */
export function idempotencyKey(): Record<string, string> {
  return { 'idempotency-key': crypto.randomUUID() };
}

// The body's refresh token is for API clients; the app keeps only the access token (the cookie has the other).
export async function signUp(name: string, email: string, password: string): Promise<void> {
  const res = await api<Tokens>('POST', '/auth/signup', { name, email, password });
  setTokens({ accessToken: res.accessToken });
}

export async function logIn(email: string, password: string): Promise<void> {
  const res = await api<Tokens>('POST', '/auth/login', { email, password });
  setTokens({ accessToken: res.accessToken });
}

/** On load: a session the cookie still holds is taken up again (a reload does not sign out). */
export async function restoreSession(): Promise<void> {
  const restored = await refreshWithCookie().catch(() => undefined);
  if (restored) setTokens(restored);
}

export async function logOut(): Promise<void> {
  setTokens(undefined);
  // The cookie's session ends, and the API clears the cookie.
  await fetch('/v1/auth/logout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    credentials: 'same-origin',
  }).catch(() => undefined);
}

// The API's shapes (docs: /work/shared/spec/api.md, served as /v1/openapi.json).
export interface Account {
  id: string;
  name: string;
  currency: string;
  status: string;
  cash: { available: string; reserved: string };
}
export interface Payment {
  id: string;
  status: 'pending' | 'settling' | 'completed' | 'failed';
  reason?: string | null;
  amount: string;
}
export interface Asset {
  id: string;
  name: string;
  type: string;
  price: string;
}
/** GET /v1/assets/{assetId}/prices: oldest first, at most 200 points. */
export interface PriceHistory {
  assetId: string;
  from: string;
  to: string;
  points: { at: string; price: string }[];
}
export interface Order {
  id: string;
  accountId: string;
  assetId: string;
  side: 'buy' | 'sell';
  quantity: string;
  status: 'pending' | 'placed' | 'filled' | 'rejected' | 'failed' | 'canceled' | 'expired';
  quotePrice: string;
  limitPrice: string;
  fee: string;
  fillPrice: string | null;
  reason: string | null;
  createdAt: string;
  history: { status: string; at: string; reason?: string }[];
}
export interface Holdings {
  accountId: string;
  asOf: string;
  valuation: 'live' | 'stale' | 'unavailable';
  cash: { available: string; reserved: string };
  positions: {
    assetId: string;
    quantity: string;
    reservedQuantity: string;
    averageCost: string;
    price?: string;
    value?: string;
  }[];
  totalValue?: string;
}
export interface Notification {
  id: string;
  kind: string;
  title: string;
  body: string;
  at: string;
  read: boolean;
}
export interface FeeSchedule {
  minimum: string;
  rate: string;
}
export interface Customer {
  id: string;
  name: string;
  email: string;
  role?: 'customer' | 'admin';
  preferences?: { email?: boolean; sms?: boolean; push?: boolean };
  phone?: string | null;
}
export interface Strategy {
  id: string;
  name: string;
  assets: { assetId: string; percentage: string }[];
  createdAt: string;
}
export interface Investment {
  id: string;
  strategyId: string;
  destinationAccountId: string;
  amount: string;
  paymentId: string;
  status: 'awaiting_payment' | 'ordering' | 'completed' | 'failed';
  reason?: string;
  orders: { orderId: string; assetId: string; quantity: string; status: string }[];
  /** Allocations with no order (too small for a fee, no quote, refused): their share is left over. */
  skipped: { assetId: string; share: string; reason: string }[];
  invested: string;
  fees: string;
  leftover: string;
  createdAt: string;
  updatedAt: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
