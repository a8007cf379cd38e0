import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyRefresh,
  maySeeCustomer,
  mergePreferences,
  normalizeEmail,
  refreshTokenExpiry,
} from '../src/domain/customers.ts';

describe('customers domain', () => {
  it('normalizes emails for case-insensitive comparison', () => {
    assert.equal(normalizeEmail('  Ada@Example.COM '), 'ada@example.com');
  });

  it('merges a partial preferences patch', () => {
    assert.deepEqual(mergePreferences({ email: true, sms: false, push: false }, { push: true }), {
      email: true,
      sms: false,
      push: true,
    });
    assert.deepEqual(mergePreferences({ email: true, sms: false, push: false }, undefined), {
      email: true,
      sms: false,
      push: false,
    });
  });

  it('a customer may see only themself; admins and services anyone; no identity nothing', () => {
    assert.equal(maySeeCustomer({ customerId: 'a', role: 'customer' }, 'a'), true);
    assert.equal(maySeeCustomer({ customerId: 'a', role: 'customer' }, 'b'), false);
    assert.equal(maySeeCustomer({ customerId: 'x', role: 'admin' }, 'b'), true);
    assert.equal(maySeeCustomer({ customerId: 'svc', role: 'system' }, 'b'), true);
    assert.equal(maySeeCustomer(undefined, 'b'), false);
  });

  it('classifies a presented refresh token', () => {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const valid = {
      expiresAt: refreshTokenExpiry(new Date('2026-11-20T10:00:00.000Z')),
      spentAt: null,
      familyRevokedAt: null,
    };
    assert.equal(classifyRefresh(valid, now), 'rotate');
    assert.equal(classifyRefresh({ ...valid, spentAt: now }, now), 'reuse');
    assert.equal(classifyRefresh({ ...valid, familyRevokedAt: now }, now), 'invalid');
    assert.equal(classifyRefresh({ ...valid, spentAt: now, familyRevokedAt: now }, now), 'invalid');
    assert.equal(
      classifyRefresh({ ...valid, expiresAt: refreshTokenExpiry(new Date('2026-11-15T10:00:00.000Z')) }, now),
      'invalid',
      'older than 7 days',
    );
    assert.equal(classifyRefresh(undefined, now), 'invalid');
  });
});
