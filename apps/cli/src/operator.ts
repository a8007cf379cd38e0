/**
 * The operator's commands: clients of a running SimpleBank's public API (its health and its admin
 * routes), so they work the same against the all-in-one and the distributed mode, on this machine
 * or another. They sign in as the admin (SIMPLEBANK_ADMIN_EMAIL / SIMPLEBANK_ADMIN_PASSWORD, the
 * development defaults otherwise) and print what they get; `--json` prints the answers as they are.
 */
import { parseArgs } from 'node:util';

export const OPERATOR_USAGE = `Operator commands (against a running SimpleBank; --url, default SIMPLEBANK_URL or http://127.0.0.1:$PORT|8080):
  simplebank status                          every service's readiness checks, and the dead letters waiting
  simplebank dead-letters list [--limit N]   dead letters of every service, newest first
  simplebank dead-letters replay <id>        hand one to its consumer again (it leaves the store if handled)
  simplebank dead-letters discard <id>       give one up for good
  simplebank sagas show <service> <sagaId>   a saga's status, data and every step's outcome (e.g. orders <orderId>)
  simplebank projections rebuild reporting   empty reporting's read models and replay its retained events into them
  simplebank events replay <service> --types T1,T2 --since TIME
                                             publish again the events of those types the service published since TIME
                                             (kept a day): a new read model's history; subscribers that had them ignore them
Options: --url URL   --json (print the API's answers as they are)
Signs in with SIMPLEBANK_ADMIN_EMAIL / SIMPLEBANK_ADMIN_PASSWORD (development defaults when unset).`;

/** A refusal the person at the terminal can act on: printed without a stack trace (exit code 1). */
export class OperatorError extends Error {}

interface Answer {
  status: number;
  body: any;
  /** The X-Data-As-Of header of a read model's answer. */
  asOf?: string | undefined;
}

class Api {
  private token: string | undefined;

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new OperatorError(
        `SimpleBank does not answer at ${this.base}: ${(err as Error).message} (is it running? --url)`,
      );
    }
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : null,
      asOf: response.headers.get('x-data-as-of') ?? undefined,
    };
  }

  /** Like `request`, for the admin: signs in first; a problem answer becomes an OperatorError. */
  async admin(method: string, path: string, body?: unknown): Promise<Answer> {
    if (!this.token) {
      const email = process.env.SIMPLEBANK_ADMIN_EMAIL ?? 'admin@simplebank.local';
      const login = await this.request('POST', '/v1/auth/login', {
        email,
        password: process.env.SIMPLEBANK_ADMIN_PASSWORD ?? 'simplebank-admin',
      });
      if (login.status !== 200)
        throw new OperatorError(
          `Signing in as ${email} failed (${login.status} ${login.body?.detail ?? ''}): set SIMPLEBANK_ADMIN_EMAIL and SIMPLEBANK_ADMIN_PASSWORD`,
        );
      this.token = login.body.accessToken as string;
    }
    const answer = await this.request(method, path, body);
    if (answer.status >= 400)
      throw new OperatorError(
        `${method} ${path}: ${answer.status} ${answer.body?.code ?? ''} ${answer.body?.detail ?? ''}`.trim(),
      );
    return answer;
  }
}

const print = (line = '') => process.stdout.write(`${line}\n`);

/** Runs an operator command; false when `command` is not one. */
export async function runOperatorCommand(command: string, argv: string[]): Promise<boolean> {
  if (!['status', 'dead-letters', 'sagas', 'projections', 'events'].includes(command)) return false;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      types: { type: 'string' },
      since: { type: 'string' },
    },
  });
  const api = new Api(
    (values.url ?? process.env.SIMPLEBANK_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/\/$/, ''),
  );
  const show = (body: unknown, human: () => void) => (values.json ? print(JSON.stringify(body, null, 2)) : human());
  const [sub, ...rest] = positionals;

  if (command === 'status') {
    // Every service's own checks (the console's view), in both modes: not only the gateway process's.
    const all = (await api.admin('GET', '/v1/admin/readiness')).body as {
      ready: boolean;
      services: Array<{
        service: string;
        ready: boolean;
        checks: Array<{ name: string; ready: boolean; detail?: string }>;
      }>;
    };
    const letters = await api.admin('GET', '/v1/admin/dead-letters?limit=100');
    const status = all.ready ? 'ready' : 'not_ready';
    show({ status, services: all.services, deadLetters: letters.body.items.length }, () => {
      print(`SimpleBank at ${api.base}: ${status}`);
      for (const s of all.services) {
        print(`  ${s.ready ? 'ok  ' : 'FAIL'}  ${s.service}`);
        for (const c of s.checks)
          print(`    ${c.ready ? 'ok  ' : 'FAIL'}  ${c.name}${c.detail ? `  (${c.detail})` : ''}`);
      }
      const n = letters.body.items.length;
      print(
        `dead letters waiting: ${n}${letters.body.nextCursor ? '+' : ''}${n > 0 ? '  (simplebank dead-letters list)' : ''}`,
      );
    });
    if (!all.ready) process.exitCode = 1;
    return true;
  }

  if (command === 'dead-letters' && sub === 'list') {
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      throw new OperatorError('--limit must be a whole number from 1 to 200');
    const page = await api.admin('GET', `/v1/admin/dead-letters?limit=${limit}`);
    show(page.body, () => {
      if (page.body.items.length === 0) print('No dead letters.');
      for (const l of page.body.items)
        print(
          `${l.id}  ${l.service.padEnd(14)} ${String(l.messageType).padEnd(36)} ${l.attempts} attempts, last ${l.lastFailedAt}\n    ${l.reason}`,
        );
      if (page.body.nextCursor) print(`… more (--limit up to 200, or the API with cursor ${page.body.nextCursor})`);
    });
    return true;
  }

  if (command === 'dead-letters' && (sub === 'replay' || sub === 'discard') && rest.length === 1) {
    const id = encodeURIComponent(rest[0]!);
    const answer =
      sub === 'replay'
        ? await api.admin('POST', `/v1/admin/dead-letters/${id}/replay`)
        : await api.admin('DELETE', `/v1/admin/dead-letters/${id}`);
    show(answer.body, () =>
      print(sub === 'replay' ? `Replayed at ${answer.body.service}: ${answer.body.outcome}` : `Discarded ${rest[0]}`),
    );
    return true;
  }

  if (command === 'sagas' && sub === 'show' && rest.length === 2) {
    const [service, sagaId] = rest.map(encodeURIComponent);
    const saga = (await api.admin('GET', `/v1/admin/sagas/${service}/${sagaId}`)).body;
    show(saga, () => {
      print(
        `${saga.type} ${saga.id}: ${saga.status}${saga.currentStep ? ` at ${saga.currentStep}` : ''}${saga.failure ? ` (failure ${saga.failure.code}: ${saga.failure.message})` : ''}`,
      );
      print(`  created ${saga.createdAt}, updated ${saga.updatedAt}`);
      print(`  data ${JSON.stringify(saga.data)}`);
      for (const e of saga.log)
        print(`  ${e.at}  ${e.step} ${e.phase} #${e.attempt}: ${e.outcome}${e.detail ? ` (${e.detail})` : ''}`);
    });
    return true;
  }

  if (command === 'projections' && sub === 'rebuild' && rest.length === 1) {
    if (rest[0] !== 'reporting')
      throw new OperatorError(`No projections to rebuild in "${rest[0]}": reporting is the one read model service`);
    const answer = await api.admin('POST', '/v1/admin/reports/rebuild');
    const b = answer.body;
    show(b, () =>
      print(
        `Rebuilt reporting from ${b.events} events: ${b.orders} orders, ${b.fees} fee events, ${b.postings} postings${answer.asOf ? `, as of ${answer.asOf}` : ''}`,
      ),
    );
    return true;
  }

  if (command === 'events' && sub === 'replay' && rest.length === 1) {
    const types = (values.types ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const since = values.since ? new Date(values.since) : undefined;
    if (types.length === 0)
      throw new OperatorError('--types must name at least one event type (e.g. orders.OrderStatusChanged)');
    if (!since || Number.isNaN(since.getTime()))
      throw new OperatorError('--since must be a date or time (e.g. 2026-12-06T09:00:00Z)');
    let cursor: string | undefined;
    let replayed = 0;
    let retainedSince: string | null = null;
    do {
      const page = (
        await api.admin('POST', '/v1/admin/events/replay', {
          service: rest[0],
          types,
          since: since.toISOString(),
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        })
      ).body;
      replayed += page.replayed as number;
      retainedSince = page.retainedSince;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    show({ service: rest[0], types, since: since.toISOString(), replayed, retainedSince }, () =>
      print(
        `Replayed ${replayed} events of ${types.join(', ')} published by ${rest[0]} since ${since.toISOString()}${retainedSince ? ` (kept since ${retainedSince})` : ''}`,
      ),
    );
    return true;
  }

  throw new OperatorError(
    `Unknown or incomplete command "simplebank ${[command, ...positionals].join(' ')}".\n\n${OPERATOR_USAGE}`,
  );
}
