/**
 * The one error hierarchy of the chassis. Every error that crosses a boundary (HTTP, RPC, message
 * handling) is an AppError or becomes one: it carries a stable machine-readable `code`, the HTTP
 * `status` it maps to, and whether retrying the same operation may succeed (`retryable`).
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface WireError {
  code: string;
  status: number;
  message: string;
  retryable: boolean;
  errors?: FieldError[];
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly errors: FieldError[] | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; retryable?: boolean; errors?: FieldError[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.errors = options.errors;
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, status: this.status, message: this.message, retryable: this.retryable };
    if (this.errors) wire.errors = this.errors;
    return wire;
  }

  static fromWire(wire: WireError): AppError {
    const options: { status: number; retryable: boolean; errors?: FieldError[] } = {
      status: wire.status,
      retryable: wire.retryable,
    };
    if (wire.errors) options.errors = wire.errors;
    return new AppError(wire.code, wire.message, options);
  }
}

/** A request or message that does not match its schema. Never retryable. */
export class ValidationError extends AppError {
  constructor(message: string, errors: FieldError[] = []) {
    super('validation_failed', message, { status: 400, errors });
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found', code = 'not_found') {
    super(code, message, { status: 404 });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { status: 409 });
  }
}

/** A business rule refused the operation (e.g. insufficient funds). The same request will fail again. */
export class BusinessRuleError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { status: 422 });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthorized') {
    super(code, message, { status: 401 });
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Forbidden', code = 'forbidden') {
    super(code, message, { status: 403 });
  }
}

/** A dependency cannot serve now (no live instance, broker away, breaker open, shed load). */
export class UnavailableError extends AppError {
  constructor(message: string, code = 'service_unavailable', cause?: unknown) {
    super(code, message, { status: 503, retryable: true, cause });
  }
}

/** The caller's time budget ran out before the work could be done. */
export class DeadlineExceededError extends AppError {
  constructor(message = 'Deadline exceeded') {
    super('deadline_exceeded', message, { status: 504, retryable: true });
  }
}

/**
 * Wraps anything thrown that is not an AppError. A transient failure (see `transientFailure`) becomes
 * a retryable 503; anything else is a fault in our code: `internal_error`, 500, **not** retryable
 * (a TypeError thrown again by a retry helps no one; a dead letter or a failed step shows it).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const transient = transientFailure(err);
  if (transient) return new UnavailableError(transient.message, transient.code, err);
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('internal_error', message, { status: 500, retryable: false, cause: err });
}

export interface TransientFailure {
  code: 'database_unavailable' | 'database_conflict' | 'dependency_unavailable' | 'timeout';
  message: string;
}

/** Sockets that refused, broke or timed out (Node's net/dns errors and undici's). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);
/** What node-pg, pg-pool and amqplib say when the connection under a call went away. */
const CONNECTION_LOST =
  /Connection terminated|terminating connection|Client has encountered a connection error|Connection ended unexpectedly|Client was closed and is not queryable|Cannot use a pool after calling end|timeout exceeded when trying to connect|Channel closed|Channel ended|Connection closed/i;

/**
 * The one classification of transient failures: those where the same operation, tried again later,
 * may succeed. PostgreSQL by SQLSTATE class (08 connection exception, 40 transaction rollback —
 * serialization failures and deadlocks —, 53 insufficient resources, 57P operator intervention, and
 * 57014/55P03 a statement or lock timeout), socket errors, lost connections, timeouts and aborts;
 * the chain of `cause`s is searched too (fetch's "fetch failed" carries the socket error there).
 * Anything else is not transient.
 */
export function transientFailure(err: unknown): TransientFailure | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const name = (e as { name?: unknown }).name;
    const message = e instanceof Error ? e.message : '';
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      if (code.startsWith('40'))
        return { code: 'database_conflict', message: 'A concurrent change conflicted with this one; try again' };
      if (code === '57014' || code === '55P03')
        return { code: 'timeout', message: 'The database did not finish in time; try again' };
      if (code.startsWith('08') || code.startsWith('53') || code.startsWith('57P'))
        return { code: 'database_unavailable', message: 'The database is not available; try again' };
    }
    if ((typeof code === 'string' && SOCKET_CODES.has(code)) || CONNECTION_LOST.test(message)) {
      return databaseError(e)
        ? { code: 'database_unavailable', message: 'The database is not available; try again' }
        : { code: 'dependency_unavailable', message: 'A dependency is not reachable; try again' };
    }
    if (name === 'TimeoutError' || name === 'AbortError')
      return { code: 'timeout', message: `Timed out (${message}); try again` };
  }
  return undefined;
}

/** node-pg's errors (a DatabaseError, or a client/pool message): told apart from other dependencies' for the right code. */
function databaseError(e: unknown): boolean {
  return (
    (e as { name?: unknown }).name === 'DatabaseError' ||
    /Connection terminated|terminating connection|Client has encountered|Client was closed|Cannot use a pool|trying to connect/i.test(
      e instanceof Error ? e.message : '',
    )
  );
}

/**
 * Said of an error from a database call: the server is unreachable, restarting or out of connections
 * (not that the statement was wrong, nor a conflict or timeout of this one statement).
 */
export function databaseAway(err: unknown): boolean {
  const code = transientFailure(err)?.code;
  return code === 'database_unavailable' || code === 'dependency_unavailable';
}
