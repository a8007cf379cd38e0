/**
 * Preloaded into SimpleBank (NODE_OPTIONS=--import=<this file>) by `npm run bench:count`: counts every
 * statement each pg client sends, by database and statement text, and writes the counts as JSON to
 * $SIMPLEBANK_STATEMENT_TRACE on SIGUSR2 (then starts over). Plain JS: it loads before tsx.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.SIMPLEBANK_STATEMENT_TRACE;
const require = createRequire(`${process.cwd()}/package.json`);
const pg = require('pg');
let counts = new Map();

function textOf(config) {
  const text = typeof config === 'string' ? config : config && typeof config.text === 'string' ? config.text : '';
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function traced(config, ...rest) {
  const text = textOf(config);
  // Statements outside BEGIN … COMMIT are transactions of their own ("auto"): each is a commit.
  const verb = text.split(' ')[0].toUpperCase();
  if (verb === 'BEGIN') this.inTransaction = true;
  const where = this.inTransaction ? 'tx' : 'auto';
  if (verb === 'COMMIT' || verb === 'ROLLBACK') this.inTransaction = false;
  const key = `${this.database ?? '?'}\t${where}\t${text}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, ...rest);
};

if (out) {
  process.on('SIGUSR2', () => {
    const file = `${out}.${process.pid}.json`;
    writeFileSync(file, JSON.stringify(Object.fromEntries(counts)));
    counts = new Map();
  });
}
