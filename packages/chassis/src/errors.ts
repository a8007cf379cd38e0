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

  constructor(code: string, message: string, options: { status?: number; retryable?: boolean; errors?: FieldError[]; cause?: unknown } = {}) {
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
    const options: { status: number; retryable: boolean; errors?: FieldError[] } = { status: wire.status, retryable: wire.retryable };
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

/** Wraps anything thrown that is not an AppError: an unexpected fault, retryable by default. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // The database away or restarting is the dependency's outage, not our bug: 503, try again.
  if (databaseAway(err)) return new UnavailableError('The database is not available; try again', 'database_unavailable', err);
  return new AppError('internal_error', message, { status: 500, retryable: true, cause: err });
}

/** PostgreSQL error codes (and socket errors) that say the server is away, restarting or out of connections. */
const AWAY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);

/** The error says the database is unreachable (not that the statement was wrong). */
export function databaseAway(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && AWAY_CODES.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|terminating connection|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
}
