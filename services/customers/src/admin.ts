/** Makes sure the first admin (from the settings) exists when the service starts. */
import { randomUUID } from 'node:crypto';
import { inTransaction, type BaseContext, type Worker } from '@simplebank/chassis';
import { customersContract } from './contract.ts';
import { DEFAULT_PREFERENCES, normalizeEmail } from './domain/customers.ts';
import { hashPassword } from './passwords.ts';
import { adminCredentials } from './settings.ts';
import { findCredentials, insertCustomer, type CustomerRow } from './store.ts';

/** CustomerRegistered's data: with the contact details, which notifications keeps a copy of (decision 23). */
export function registered(row: CustomerRow) {
  return {
    customerId: row.id,
    name: row.name,
    role: row.role,
    preferences: row.preferences,
    email: row.email,
    phone: row.phone,
  };
}

export async function ensureAdmin(ctx: BaseContext): Promise<void> {
  const admin = adminCredentials();
  if (admin.defaults) {
    ctx.log.warn(
      'SIMPLEBANK_ADMIN_EMAIL / SIMPLEBANK_ADMIN_PASSWORD not set: the first admin uses the development defaults (see docs); set both in production',
    );
  }
  const email = normalizeEmail(admin.email);
  if (await findCredentials(ctx.db, email)) return;
  const passwordHash = await hashPassword(admin.password);
  const created = await inTransaction(ctx.db, { service: ctx.service, cause: ctx.cause }, async (tx) => {
    const row = await insertCustomer(tx, {
      id: randomUUID(),
      email,
      name: 'Administrator',
      passwordHash,
      role: 'admin',
      preferences: DEFAULT_PREFERENCES,
    });
    if (row) await tx.publish(customersContract.events.CustomerRegistered, registered(row), { key: row.id });
    return row;
  });
  // Another instance may have created it at the same moment: then there is nothing to do.
  if (created) ctx.log.info({ customerId: created.id }, 'first admin created');
}

export const adminBootstrap: Worker = {
  name: 'admin-bootstrap',
  async start(ctx) {
    await ensureAdmin(ctx);
    return async () => {};
  },
};
