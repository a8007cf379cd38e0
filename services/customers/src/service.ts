/** customers: sign-up, credentials, profile, and the gateway's refresh-token sessions. */
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, UnauthorizedError, defineService, type RpcContext } from '@simplebank/chassis';
import { adminBootstrap, registered } from './admin.ts';
import { customersContract } from './contract.ts';
import {
  DEFAULT_PREFERENCES,
  classifyRefresh,
  isUuid,
  maySeeCustomer,
  mergePreferences,
  normalizeEmail,
  refreshTokenExpiry,
} from './domain/customers.ts';
import { dummyVerify, hashPassword, verifyPassword } from './passwords.ts';
import { customersSettings } from './settings.ts';
import {
  findCredentials,
  findCustomer,
  insertCustomer,
  insertFamily,
  insertToken,
  familyActive,
  lockToken,
  revokeFamily,
  spendToken,
  updateCustomer,
} from './store.ts';
import { hashToken, newRefreshToken } from './tokens.ts';

const invalidCredentials = () => new UnauthorizedError('Invalid email or password', 'invalid_credentials');
const invalidRefreshToken = () => new UnauthorizedError('Invalid refresh token', 'invalid_refresh_token');

function checkAccess(ctx: RpcContext, customerId: string): void {
  if (!isUuid(customerId) || !maySeeCustomer(ctx.identity, customerId)) throw new NotFoundError('No such customer');
}

export const customersService = defineService({
  contract: customersContract,
  migrations: new URL('../migrations', import.meta.url),
  settings: [customersSettings],
  workers: [adminBootstrap],
  rpc: {
    async signup(req, ctx) {
      const passwordHash = await hashPassword(req.password);
      const customer = await ctx.transaction(async (tx) => {
        const row = await insertCustomer(tx, {
          id: randomUUID(),
          email: normalizeEmail(req.email),
          name: req.name,
          passwordHash,
          role: 'customer',
          preferences: DEFAULT_PREFERENCES,
        });
        if (!row) throw new ConflictError('email_taken', 'An account with this email already exists');
        await tx.publish(customersContract.events.CustomerRegistered, registered(row), { key: row.id });
        return row;
      });
      ctx.log.info({ customerId: customer.id }, 'customer signed up');
      return customer;
    },

    async verifyCredentials(req, ctx) {
      const found = await findCredentials(ctx.db, normalizeEmail(req.email));
      if (!found) {
        await dummyVerify(req.password);
        throw invalidCredentials();
      }
      if (!(await verifyPassword(req.password, found.passwordHash))) throw invalidCredentials();
      return { customerId: found.id, role: found.role };
    },

    async getCustomer(req, ctx) {
      checkAccess(ctx, req.customerId);
      const customer = await findCustomer(ctx.db, req.customerId);
      if (!customer) throw new NotFoundError('No such customer');
      return customer;
    },

    async updateProfile(req, ctx) {
      checkAccess(ctx, req.customerId);
      return ctx.transaction(async (tx) => {
        const current = await findCustomer(tx, req.customerId, true);
        if (!current) throw new NotFoundError('No such customer');
        const phone = req.phone === undefined ? current.phone : req.phone;
        const updated = await updateCustomer(
          tx,
          current.id,
          req.name ?? current.name,
          mergePreferences(current.preferences, req.preferences),
          phone,
        );
        await tx.publish(
          customersContract.events.CustomerUpdated,
          {
            customerId: updated.id,
            name: updated.name,
            preferences: updated.preferences,
            email: updated.email,
            phone: updated.phone,
          },
          { key: updated.id },
        );
        return updated;
      });
    },

    async startSession(req, ctx) {
      // A customer opens sessions only for themself; the gateway (no identity yet at login) or services for anyone.
      if (!isUuid(req.customerId) || (ctx.identity?.role === 'customer' && ctx.identity.customerId !== req.customerId))
        throw new NotFoundError('No such customer');
      const token = newRefreshToken();
      const expiresAt = refreshTokenExpiry(new Date());
      const familyId = randomUUID();
      await ctx.transaction(async (tx) => {
        if (!(await findCustomer(tx, req.customerId))) throw new NotFoundError('No such customer');
        await insertFamily(tx, familyId, req.customerId);
        await insertToken(tx, hashToken(token), familyId, expiresAt);
      });
      return { sessionId: familyId, refreshToken: token, expiresAt: expiresAt.toISOString() };
    },

    async refreshSession(req, ctx) {
      const outcome = await ctx.transaction(async (tx) => {
        const hash = hashToken(req.refreshToken);
        const stored = await lockToken(tx, hash);
        const verdict = classifyRefresh(stored, new Date());
        if (verdict === 'invalid' || !stored) return { ok: false as const };
        if (verdict === 'reuse') {
          // A spent token again: someone holds a copy. The whole family ends (committed, then refused).
          await revokeFamily(tx, stored.familyId);
          ctx.log.warn({ customerId: stored.customerId }, 'refresh token reused: session family revoked');
          return { ok: false as const };
        }
        const customer = await findCustomer(tx, stored.customerId);
        if (!customer) return { ok: false as const };
        await spendToken(tx, hash);
        const next = newRefreshToken();
        const expiresAt = refreshTokenExpiry(new Date());
        await insertToken(tx, hashToken(next), stored.familyId, expiresAt);
        return {
          ok: true as const,
          answer: {
            customerId: customer.id,
            role: customer.role,
            sessionId: stored.familyId,
            refreshToken: next,
            expiresAt: expiresAt.toISOString(),
          },
        };
      });
      if (!outcome.ok) throw invalidRefreshToken();
      return outcome.answer;
    },

    async endSession(req, ctx) {
      await ctx.transaction(async (tx) => {
        const stored = await lockToken(tx, hashToken(req.refreshToken));
        if (stored) await revokeFamily(tx, stored.familyId);
      });
      return {};
    },

    async sessionActive(req, ctx) {
      // Only the gateway (and services) ask; a customer has no business probing session ids.
      if (ctx.identity?.role === 'customer') throw new NotFoundError('No such session');
      return { active: isUuid(req.sessionId) && (await familyActive(ctx.db, req.sessionId)) };
    },
  },
});
