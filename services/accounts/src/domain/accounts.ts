/** The rules of accounts: who owns, who sees, the page size. Pure, no I/O. */

export interface Caller {
  customerId: string;
  role: 'customer' | 'admin' | 'system';
}

export const DEFAULT_PAGE_SIZE = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Only a customer opens accounts, for themself; staff and services have no accounts of their own. */
export function mayOpenAccount(caller: Caller | undefined): caller is Caller & { role: 'customer' } {
  return caller?.role === 'customer';
}

/** A customer sees only their own accounts; admins and services all; no identity none. */
export function maySeeAccount(caller: Caller | undefined, ownerId: string): boolean {
  if (!caller) return false;
  if (caller.role === 'admin' || caller.role === 'system') return true;
  return caller.customerId === ownerId;
}
