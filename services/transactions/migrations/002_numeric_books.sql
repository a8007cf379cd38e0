-- Issue 9: sums that cannot overflow. A balance is the sum of every posting on a book, with no bound
-- on how many there are; an entry of a trade is quantity × price. bigint (±9.2e18) holds any single
-- input, but not every sum of them: every amount of the ledger becomes an integer numeric of up to
-- 1000 digits (cents for USD, micro-units for a ticker), as exact as bigint and out of reach of any
-- count of postings. The application still reads and writes them as bigint text (docs/limits.md).
ALTER TABLE balances
  ALTER COLUMN available TYPE numeric(1000, 0),
  ALTER COLUMN reserved TYPE numeric(1000, 0);
ALTER TABLE entries ALTER COLUMN amount TYPE numeric(1000, 0);
ALTER TABLE reservations
  ALTER COLUMN amount TYPE numeric(1000, 0),
  ALTER COLUMN remaining TYPE numeric(1000, 0);
ALTER TABLE postings ALTER COLUMN price TYPE numeric(1000, 0);
