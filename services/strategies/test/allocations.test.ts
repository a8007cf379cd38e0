/** The allocation rules, pure: percentages > 0 with at most two decimals, each asset once, exactly 100 in all. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ALLOCATIONS,
  checkStrategy,
  formatPercentage,
  parsePercentage,
  type Checked,
} from '../src/domain/allocations.ts';

const check = (...assets: Array<[string, string]>) =>
  checkStrategy({ name: 'Balanced', assets: assets.map(([assetId, percentage]) => ({ assetId, percentage })) });
const problems = (c: Checked) => (c.kind === 'invalid' ? c.errors : []);

describe('percentages', () => {
  it('parses exactly, into hundredths of a percent', () => {
    assert.deepEqual(parsePercentage('33.33'), { hundredths: 3333n });
    assert.deepEqual(parsePercentage('100.00'), { hundredths: 10000n });
    assert.deepEqual(parsePercentage('100'), { hundredths: 10000n });
    assert.deepEqual(parsePercentage('0.01'), { hundredths: 1n });
    assert.deepEqual(parsePercentage('12.5'), { hundredths: 1250n });
    assert.deepEqual(parsePercentage('7.10'), { hundredths: 710n });
  });

  it('refuses more than two decimals, zero, over 100, and anything not a plain decimal', () => {
    assert.deepEqual(parsePercentage('33.333'), { problem: 'must have at most two decimals' });
    assert.deepEqual(parsePercentage('0.001'), { problem: 'must have at most two decimals' });
    assert.deepEqual(parsePercentage('0'), { problem: 'must be greater than 0' });
    assert.deepEqual(parsePercentage('0.00'), { problem: 'must be greater than 0' });
    assert.deepEqual(parsePercentage('100.01'), { problem: 'must be at most 100' });
    for (const bad of ['-5', '', ' 5', '5 ', '1e2', '0x10', '.5', '5.', '05', '+5', 'NaN', 'fifty', '1,5']) {
      assert.ok('problem' in parsePercentage(bad), `"${bad}" refused`);
    }
  });

  it('formats with two decimals', () => {
    assert.equal(formatPercentage(3333n), '33.33');
    assert.equal(formatPercentage(10000n), '100.00');
    assert.equal(formatPercentage(1n), '0.01');
    assert.equal(formatPercentage(2500n), '25.00');
  });
});

describe('a strategy', () => {
  it('accepts allocations summing to exactly 100, with no rounding anywhere', () => {
    const thirds = check(['AAPL', '33.33'], ['MSFT', '33.33'], ['SPY', '33.34']);
    assert.deepEqual(thirds, {
      kind: 'ok',
      name: 'Balanced',
      allocations: [
        { assetId: 'AAPL', hundredths: 3333n },
        { assetId: 'MSFT', hundredths: 3333n },
        { assetId: 'SPY', hundredths: 3334n },
      ],
    });
    assert.equal(check(['SPY', '100.00']).kind, 'ok');
    assert.equal(check(['SPY', '100']).kind, 'ok');
    // 0.1 + 0.2 is not 0.3 in floating point; here it is, exactly.
    assert.equal(check(['A', '0.1'], ['B', '0.2'], ['C', '99.7']).kind, 'ok');
  });

  it('says the sum when the allocations do not sum to 100', () => {
    assert.deepEqual(check(['AAPL', '33.33'], ['MSFT', '33.33'], ['SPY', '33.33']), {
      kind: 'sum_not_100',
      name: 'Balanced',
      sum: 9999n,
      allocations: [
        { assetId: 'AAPL', hundredths: 3333n },
        { assetId: 'MSFT', hundredths: 3333n },
        { assetId: 'SPY', hundredths: 3333n },
      ],
    });
    const over = check(['AAPL', '60'], ['MSFT', '40.01']);
    assert.equal(over.kind === 'sum_not_100' && over.sum, 10001n);
  });

  it('refuses a percentage with three decimals, naming the field, even when the sum would be 100', () => {
    assert.deepEqual(problems(check(['AAPL', '33.333'], ['MSFT', '66.667'])), [
      { path: '/assets/0/percentage', message: 'must have at most two decimals' },
      { path: '/assets/1/percentage', message: 'must have at most two decimals' },
    ]);
  });

  it('refuses zero and negative percentages', () => {
    assert.deepEqual(problems(check(['AAPL', '0'], ['MSFT', '100'])), [
      { path: '/assets/0/percentage', message: 'must be greater than 0' },
    ]);
    assert.equal(problems(check(['AAPL', '-10'], ['MSFT', '110']))[0]?.path, '/assets/0/percentage');
  });

  it('refuses an asset listed twice', () => {
    assert.deepEqual(problems(check(['AAPL', '50'], ['MSFT', '25'], ['AAPL', '25'])), [
      { path: '/assets/2/assetId', message: 'AAPL appears more than once (also /assets/0)' },
    ]);
  });

  it('refuses no assets, too many, and a blank or control-character name; trims the name', () => {
    assert.deepEqual(problems(check()), [{ path: '/assets', message: 'must hold at least one asset' }]);
    const many = Array.from({ length: MAX_ALLOCATIONS + 1 }, (_, i) => ({ assetId: `A${i}`, percentage: '0.01' }));
    assert.deepEqual(problems(checkStrategy({ name: 'Many', assets: many }))[0], {
      path: '/assets',
      message: `must hold at most ${MAX_ALLOCATIONS} assets`,
    });
    assert.deepEqual(problems(checkStrategy({ name: '   ', assets: [{ assetId: 'SPY', percentage: '100' }] })), [
      { path: '/name', message: 'must not be blank' },
    ]);
    assert.deepEqual(
      problems(checkStrategy({ name: 'Bad\u0000name', assets: [{ assetId: 'SPY', percentage: '100' }] })),
      [{ path: '/name', message: 'must not contain control characters' }],
    );
    const trimmed = checkStrategy({ name: '  Growth  ', assets: [{ assetId: 'SPY', percentage: '100' }] });
    assert.equal(trimmed.kind === 'ok' && trimmed.name, 'Growth');
  });
});
