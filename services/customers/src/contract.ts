/** customers: sign-up, credentials, profile, and the refresh-token sessions of the gateway. */
import { DateTime, T, defineContract, event, rpc } from '@simplebank/chassis';

export const Preferences = T.Object(
  { email: T.Boolean(), sms: T.Boolean(), push: T.Boolean() },
  {
    description:
      'Notification channels besides the in-app inbox (always on): email to your e-mail address, sms to `phone`; push is recorded only',
  },
);
export const Role = T.Union([T.Literal('customer'), T.Literal('admin')]);
/** A mobile number in E.164 form ("+15550100123"): where SMS notifications go. */
export const Phone = T.String({ pattern: '^\\+[1-9][0-9]{6,14}$', maxLength: 16 });
export const Customer = T.Object({
  id: T.String(),
  email: T.String(),
  name: T.String(),
  role: Role,
  preferences: Preferences,
  phone: T.Union([T.String(), T.Null()], { description: 'Your mobile number (E.164), null until you give one' }),
  createdAt: DateTime,
});
/**
 * The contact details events carry, so that notifications keeps its own copy and never asks for
 * them when it delivers (decision 23). Optional: events written before they were added lack them.
 */
const Contact = { email: T.Optional(T.String()), phone: T.Optional(T.Union([T.String(), T.Null()])) };
const Email = T.String({ format: 'email', maxLength: 254 });
const Password = T.String({ minLength: 10, maxLength: 200 });
const Name = T.String({ minLength: 1, maxLength: 200 });
/** `sessionId` names the refresh-token family; the gateway puts it in access tokens (`sid`) and checks it is still active. */
const Session = T.Object({
  sessionId: T.String(),
  refreshToken: T.String(),
  expiresAt: T.String({ format: 'date-time' }),
});

export const customersContract = defineContract({
  service: 'customers',
  rpc: {
    /** Email is unique, compared case-insensitively. Passwords are stored as scrypt or argon2 hashes. */
    signup: rpc({
      request: T.Object({ email: Email, password: Password, name: Name }),
      response: Customer,
      errors: ['email_taken'],
    }),
    /** Same answer for an unknown email and a wrong password. */
    verifyCredentials: rpc({
      request: T.Object({ email: T.String({ maxLength: 254 }), password: T.String({ maxLength: 200 }) }),
      response: T.Object({ customerId: T.String(), role: Role }),
      errors: ['invalid_credentials'],
    }),
    /** A customer sees only themself (identity); admins and services anyone. */
    getCustomer: rpc({ request: T.Object({ customerId: T.String() }), response: Customer, errors: ['not_found'] }),
    updateProfile: rpc({
      request: T.Object({
        customerId: T.String(),
        name: T.Optional(Name),
        preferences: T.Optional(T.Partial(Preferences)),
        phone: T.Optional(T.Union([Phone, T.Null()])),
      }),
      response: Customer,
      errors: ['not_found'],
    }),
    /** Opens a refresh-token family for the customer (after sign-up or login). Tokens are opaque; valid 7 days. */
    startSession: rpc({ request: T.Object({ customerId: T.String() }), response: Session, errors: ['not_found'] }),
    /** Rotates: the old token is spent. A spent token presented again revokes its whole family (reuse detection). */
    refreshSession: rpc({
      request: T.Object({ refreshToken: T.String({ maxLength: 500 }) }),
      response: T.Object({
        customerId: T.String(),
        role: Role,
        sessionId: T.String(),
        refreshToken: T.String(),
        expiresAt: T.String({ format: 'date-time' }),
      }),
      errors: ['invalid_refresh_token'],
    }),
    /** Revokes the token's family (logout). */
    endSession: rpc({ request: T.Object({ refreshToken: T.String({ maxLength: 500 }) }), response: T.Object({}) }),
    /** Whether a session (family) is still active: not revoked by logout or by reuse detection. The gateway checks it for access tokens (cached). */
    sessionActive: rpc({
      request: T.Object({ sessionId: T.String({ maxLength: 100 }) }),
      response: T.Object({ active: T.Boolean() }),
    }),
  },
  events: {
    CustomerRegistered: event({
      data: T.Object({ customerId: T.String(), name: T.String(), role: Role, preferences: Preferences, ...Contact }),
    }),
    CustomerUpdated: event({
      data: T.Object({ customerId: T.String(), name: T.String(), preferences: Preferences, ...Contact }),
    }),
  },
});
