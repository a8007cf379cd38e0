/**
 * What the gateway reads of customers (decision 37): sign-up, login, refresh and logout
 * (src/routes/auth.ts: the customer's id and role go into the access token, the session's refresh
 * token and expiry into the cookie), the session check behind every access token (src/service.ts),
 * and the profile (src/routes/me.ts: GET and PATCH /v1/me show the customer as customers answers).
 * Verified against customers by services/customers/test/consumer-contracts.test.ts; the gateway's
 * stubs (test/stubs.ts) by test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { customersContract } from '@simplebank/customers/contract';

const GATEWAY = { customerId: 'service:gateway', role: 'system' } as const;
const ALICE = { customerId: 'c-alice', role: 'customer' } as const;

const customer: Read[] = [
  { path: 'id', type: 'string' },
  { path: 'email', type: 'string' },
  { path: 'name', type: 'string' },
  { path: 'role', type: 'string' },
  { path: 'preferences.email', type: 'boolean' },
  { path: 'preferences.sms', type: 'boolean' },
  { path: 'preferences.push', type: 'boolean' },
  { path: 'phone', type: ['string', 'null'] },
  { path: 'createdAt', type: 'string' },
];
const session: Read[] = [
  { path: 'sessionId', type: 'string' },
  { path: 'refreshToken', type: 'string' },
  { path: 'expiresAt', type: 'string' },
];

export default expects(customersContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: 'POST /v1/auth/signup signs a customer up (the token carries its id and role)',
      as: GATEWAY,
      call: 'signup',
      request: { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada' },
      reads: customer,
    },
    {
      description: 'POST /v1/auth/signup answers 409 for an e-mail already signed up',
      given: 'a customer with this e-mail',
      as: GATEWAY,
      call: 'signup',
      request: { email: 'taken@example.com', password: 'correct horse battery', name: 'Again' },
      error: 'email_taken',
    },
    {
      description: 'POST /v1/auth/login checks the password (the token carries the id and role)',
      given: 'a customer with this password',
      as: GATEWAY,
      call: 'verifyCredentials',
      request: { email: 'alice@example.com', password: 'correct horse battery' },
      reads: [
        { path: 'customerId', type: 'string' },
        { path: 'role', type: 'string' },
      ],
    },
    {
      description: 'POST /v1/auth/login answers 401 for a wrong password',
      given: 'a customer with this password',
      as: GATEWAY,
      call: 'verifyCredentials',
      request: { email: 'alice@example.com', password: 'not the password' },
      error: 'invalid_credentials',
    },
    {
      description: 'sign-up and login open a session: its refresh token and expiry go into the cookie',
      given: 'a customer',
      as: GATEWAY,
      call: 'startSession',
      request: { customerId: 'c-alice' },
      reads: session,
    },
    {
      description: 'POST /v1/auth/refresh rotates the refresh token',
      given: 'a session',
      as: GATEWAY,
      call: 'refreshSession',
      request: { refreshToken: 'rt-1' },
      reads: [{ path: 'customerId', type: 'string' }, { path: 'role', type: 'string' }, ...session],
    },
    {
      description: 'POST /v1/auth/logout ends the session',
      given: 'a session',
      as: GATEWAY,
      call: 'endSession',
      request: { refreshToken: 'rt-1' },
      reads: [],
    },
    {
      description: "every access token's session is checked (cached): still active",
      given: 'a session',
      as: GATEWAY,
      call: 'sessionActive',
      request: { sessionId: 'sess-1' },
      reads: [{ path: 'active', type: 'boolean' }],
    },
    {
      description: 'GET /v1/me shows the caller',
      given: 'the caller is a customer',
      as: ALICE,
      call: 'getCustomer',
      request: { customerId: 'c-alice' },
      reads: customer,
    },
    {
      description: 'PATCH /v1/me changes the name, preferences and phone number, and shows the caller',
      given: 'the caller is a customer',
      as: ALICE,
      call: 'updateProfile',
      request: { customerId: 'c-alice', name: 'Alice L.', preferences: { sms: true }, phone: '+15550100' },
      reads: customer,
    },
  ],
});
