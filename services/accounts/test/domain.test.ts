import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayOpenAccount, maySeeAccount } from '../src/domain/accounts.ts';

describe('accounts domain', () => {
  it('only customers open accounts', () => {
    assert.equal(mayOpenAccount({ customerId: 'c', role: 'customer' }), true);
    assert.equal(mayOpenAccount({ customerId: 'a', role: 'admin' }), false);
    assert.equal(mayOpenAccount({ customerId: 's', role: 'system' }), false);
    assert.equal(mayOpenAccount(undefined), false);
  });

  it('a customer sees own accounts only', () => {
    assert.equal(maySeeAccount({ customerId: 'c', role: 'customer' }, 'c'), true);
    assert.equal(maySeeAccount({ customerId: 'c', role: 'customer' }, 'd'), false);
    assert.equal(maySeeAccount({ customerId: 'a', role: 'admin' }, 'd'), true);
    assert.equal(maySeeAccount(undefined, 'd'), false);
  });
});
