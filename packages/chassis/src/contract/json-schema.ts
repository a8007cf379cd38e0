/** Plain JSON Schema documents of a contract, for OpenAPI (HTTP) and AsyncAPI (messages) generation. */
import type { TSchema } from '@sinclair/typebox';
import type { Contract } from './contract.ts';

/** TypeBox schemas are JSON Schema plus symbol-keyed metadata; a JSON round trip leaves the standard part. */
export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

export interface ContractDocument {
  service: string;
  rpc: Record<
    string,
    { request: unknown; response: unknown; errors: readonly string[]; idempotent: boolean; description?: string }
  >;
  events: Record<string, { type: string; name: string; version: number; data: unknown; description?: string }>;
  commands: Record<string, { type: string; name: string; version: number; data: unknown; description?: string }>;
}

export function contractDocument(contract: Contract): ContractDocument {
  const messages = (defs: Contract['events'] | Contract['commands']) =>
    Object.fromEntries(
      Object.entries(defs).map(([key, d]) => [
        key,
        {
          type: d.type,
          name: d.name,
          version: d.version,
          data: toJsonSchema(d.data),
          ...(d.description ? { description: d.description } : {}),
        },
      ]),
    );
  return {
    service: contract.service,
    rpc: Object.fromEntries(
      Object.entries(contract.rpc).map(([name, m]) => [
        name,
        {
          request: toJsonSchema(m.request),
          response: toJsonSchema(m.response),
          errors: m.errors,
          idempotent: m.idempotent,
          ...(m.description ? { description: m.description } : {}),
        },
      ]),
    ),
    events: messages(contract.events),
    commands: messages(contract.commands),
  };
}

/** An AsyncAPI 3.0 document for the messages a set of contracts publish and accept. */
export function asyncApiDocument(
  contracts: readonly Contract[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const c of contracts) {
    for (const d of [...Object.values(c.events), ...Object.values(c.commands)]) {
      const id = d.type.replace(/[^A-Za-z0-9_-]/g, '_');
      messages[id] = {
        name: d.type,
        title: `${d.name} v${d.version}`,
        ...(d.description ? { summary: d.description } : {}),
        payload: toJsonSchema(d.data),
      };
      channels[id] = { address: d.type, messages: { [id]: { $ref: `#/components/messages/${id}` } } };
      operations[`${d.kind === 'event' ? 'publish' : 'accept'}_${id}`] = {
        action: d.kind === 'event' ? 'send' : 'receive',
        channel: { $ref: `#/channels/${id}` },
        summary: `${d.kind === 'event' ? 'Published' : 'Accepted'} by ${d.service}`,
      };
    }
  }
  return { asyncapi: '3.0.0', info, channels, operations, components: { messages } };
}
