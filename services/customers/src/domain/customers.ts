/** The business rules of customers and their sessions: pure, no I/O. */

export type Role = 'customer' | 'admin';
export interface Preferences {
  email: boolean;
  sms: boolean;
  push: boolean;
}
/** Who is calling (the envelope's identity), as the domain sees it. */
export interface Caller {
  customerId: string;
  role: 'customer' | 'admin' | 'system';
}

export const DEFAULT_PREFERENCES: Preferences = { email: true, sms: false, push: false };

/** A refresh token is valid this long after it was issued. */
export const REFRESH_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Emails compare case-insensitively (and without surrounding blanks): one canonical form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function mergePreferences(current: Preferences, patch: Partial<Preferences> | undefined): Preferences {
  return {
    email: patch?.email ?? current.email,
    sms: patch?.sms ?? current.sms,
    push: patch?.push ?? current.push,
  };
}

/** A customer sees (and changes) only themself; admins and services anyone. Nobody else anything. */
export function maySeeCustomer(caller: Caller | undefined, customerId: string): boolean {
  if (!caller) return false;
  if (caller.role === 'admin' || caller.role === 'system') return true;
  return caller.customerId === customerId;
}

export interface StoredRefreshToken {
  expiresAt: Date;
  spentAt: Date | null;
  familyRevokedAt: Date | null;
}

/**
 * What presenting a refresh token means: `rotate` (valid: spend it, issue its successor), `reuse`
 * (already spent: a stolen copy or a replay; the whole family must be revoked), or `invalid`.
 */
export function classifyRefresh(token: StoredRefreshToken | undefined, now: Date): 'rotate' | 'reuse' | 'invalid' {
  if (!token) return 'invalid';
  if (token.familyRevokedAt) return 'invalid';
  if (token.spentAt) return 'reuse';
  if (token.expiresAt.getTime() <= now.getTime()) return 'invalid';
  return 'rotate';
}

export function refreshTokenExpiry(issuedAt: Date): Date {
  return new Date(issuedAt.getTime() + REFRESH_TOKEN_TTL_MS);
}
