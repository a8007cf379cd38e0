/**
 * One classification of failures: what is transient (worth trying again) and what is a fault in
 * our code (not retried: the same input fails the same way).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, BusinessRuleError, DeadlineExceededError, toAppError } from '../src/errors.ts';

/** An error as node-pg raises it for a server error. */
const pgError = (code: string) => Object.assign(new Error(`server said ${code}`), { name: 'DatabaseError', code });

describe('toAppError', () => {
  it('a fault in our code is a 500 internal_error, not retryable', () => {
    let thrown: unknown;
    try {
      (undefined as unknown as { a: { b: number } }).a.b;
    } catch (err) {
      thrown = err;
    }
    for (const err of [
      thrown,
      new RangeError('bad'),
      new Error('Order 42 does not exist'),
      'a string',
      pgError('23505'),
      pgError('42P01'),
    ]) {
      const e = toAppError(err);
      assert.equal(e.code, 'internal_error', String(err));
      assert.equal(e.status, 500);
      assert.equal(e.retryable, false, String(err));
    }
  });

  it('PostgreSQL: connection (08), rollback (40), resources (53) and operator (57P) classes, and timeouts, are transient', () => {
    const cases: Array<[string, string]> = [
      ['08006', 'database_unavailable'],
      ['57P01', 'database_unavailable'],
      ['53300', 'database_unavailable'],
      ['40001', 'database_conflict'],
      ['40P01', 'database_conflict'],
      ['57014', 'timeout'],
      ['55P03', 'timeout'],
    ];
    for (const [sqlstate, code] of cases) {
      const e = toAppError(pgError(sqlstate));
      assert.deepEqual([e.code, e.status, e.retryable], [code, 503, true], sqlstate);
    }
  });

  it('lost connections, refused sockets (also as a cause), timeouts and aborts are transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    assert.equal(toAppError(new TypeError('fetch failed', { cause: refused })).code, 'dependency_unavailable');
    assert.equal(toAppError(new Error('Connection terminated unexpectedly')).code, 'database_unavailable');
    assert.equal(toAppError(new Error('Cannot use a pool after calling end on the pool')).code, 'database_unavailable');
    assert.equal(
      toAppError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).code,
      'timeout',
    );
    for (const err of [refused, new Error('Channel closed')])
      assert.equal(toAppError(err).retryable, true, String(err));
  });

  it('an AppError keeps its own code, status and retryability', () => {
    assert.deepEqual(pick(toAppError(new BusinessRuleError('insufficient_funds', 'no'))), [
      'insufficient_funds',
      422,
      false,
    ]);
    assert.deepEqual(pick(toAppError(new DeadlineExceededError())), ['deadline_exceeded', 504, true]);
  });
});

const pick = (e: AppError) => [e.code, e.status, e.retryable];
