/**
 * `node --import tsx scripts/scan-logs.ts [file...]` (or stdin): scans log files (JSON lines; other
 * lines are scanned as text) for secrets and personal data that should never be logged — e-mail
 * addresses, JWTs, `Bearer` tokens, Luhn-valid 13–19 digit card-like numbers, and the value of any
 * field named like password/token/secret. Prints `file:line: kind: masked value` for each finding and
 * exits 1 when there is any. Values already replaced by the logger (`[redacted]`) are clean.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Finding {
  kind: 'email' | 'jwt' | 'bearer' | 'card' | 'secret-field';
  /** The secret, masked: its first and last characters only. */
  masked: string;
  field?: string;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
const BEARER = /\bBearer\s+([A-Za-z0-9._~+/=-]{8,})/gi;
/** Digit runs of 13–19 digits, optionally grouped by single spaces or dashes, not part of a longer word/number. */
const CARD = /(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[.-]\d)/g;
/** Field names holding secrets: the key's last word (camelCase split first), so `refreshToken` but not `tokenType`. */
const SECRET_FIELD = /(^|[^a-z])(pass(word|wd|phrase)?|secrets?|tokens?|api[-_]?keys?)$/i;
/** Harmless values a secret-named field may hold. */
const NOT_A_SECRET = /^(\[redacted\]|\*+|true|false|null|undefined|)$/i;

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function mask(secret: string): string {
  if (secret.length <= 6) return '*'.repeat(secret.length);
  const keep = secret.length >= 16 ? 3 : 2;
  return `${secret.slice(0, keep)}${'*'.repeat(Math.min(12, secret.length - 2 * keep))}${secret.slice(-keep)}`;
}

function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
}

function scanText(text: string, out: Finding[]): void {
  for (const m of text.matchAll(JWT)) out.push({ kind: 'jwt', masked: mask(m[0]) });
  for (const m of text.matchAll(BEARER))
    if (!/^\[?redacted\]?$/i.test(m[1]!) && !/^eyJ/.test(m[1]!))
      out.push({ kind: 'bearer', masked: `Bearer ${mask(m[1]!)}` });
  for (const m of text.matchAll(EMAIL)) out.push({ kind: 'email', masked: mask(m[0]) });
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/[ -]/g, '');
    // (a 13-digit run starting with 1 is an epoch in milliseconds, not a card)
    if (
      digits.length >= 13 &&
      digits.length <= 19 &&
      luhn(digits) &&
      !/^(\d)\1+$/.test(digits) &&
      !(digits.length === 13 && digits[0] === '1')
    )
      out.push({ kind: 'card', masked: mask(digits) });
  }
}

function scanValue(value: unknown, key: string | undefined, out: Finding[], depth = 0): void {
  if (depth > 20) return;
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_FIELD.test(words(key)) && !NOT_A_SECRET.test(value.trim()))
      out.push({ kind: 'secret-field', field: key, masked: mask(value) });
    else scanText(value, out);
    return;
  }
  if (typeof value === 'number' && key !== undefined && SECRET_FIELD.test(words(key))) {
    out.push({ kind: 'secret-field', field: key, masked: mask(String(value)) });
    return;
  }
  if (Array.isArray(value)) for (const v of value) scanValue(v, key, out, depth + 1);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) scanValue(v, k, out, depth + 1);
}

/** What one log line gives away; an empty list when it is clean. */
export function scanLine(line: string): Finding[] {
  const out: Finding[] = [];
  const trimmed = line.trim();
  if (trimmed === '') return out;
  // A JSON object may follow a prefix (a test runner's indentation, for example).
  const start = trimmed.indexOf('{');
  if (start >= 0 && trimmed.endsWith('}')) {
    try {
      scanValue(JSON.parse(trimmed.slice(start)), undefined, out);
      if (start > 0) scanText(trimmed.slice(0, start), out);
      return out;
    } catch {
      // not JSON: scanned as text below
    }
  }
  scanText(trimmed, out);
  // key=value / "key": "value" pairs in plain text
  for (const m of trimmed.matchAll(/([A-Za-z_][\w-]*)["']?\s*[:=]\s*["']?([^\s"',}]+)/g)) {
    if (SECRET_FIELD.test(words(m[1]!)) && !NOT_A_SECRET.test(m[2]!))
      out.push({ kind: 'secret-field', field: m[1]!, masked: mask(m[2]!) });
  }
  return out;
}

export function describe(f: Finding): string {
  return f.kind === 'secret-field' ? `value of field "${f.field}": ${f.masked}` : `${f.kind}: ${f.masked}`;
}

async function scanStream(name: string, input: NodeJS.ReadableStream, report: (s: string) => void): Promise<number> {
  let found = 0;
  let n = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    const findings = scanLine(line);
    if (findings.length === 0) continue;
    found += findings.length;
    report(`${name}:${n}: ${findings.map(describe).join('; ')}`);
  }
  return found;
}

async function main(): Promise<void> {
  const files = process.argv.slice(2).filter((a) => a !== '--');
  let found = 0;
  const report = (s: string) => console.log(s);
  if (files.length === 0) found += await scanStream('<stdin>', process.stdin, report);
  for (const f of files) found += await scanStream(f, createReadStream(f), report);
  if (found > 0) {
    console.error(`scan-logs: ${found} finding(s) of secrets or personal data in logs`);
    process.exit(1);
  }
  console.error(`scan-logs: clean (${files.length === 0 ? 'stdin' : files.join(', ')})`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scan-logs.ts')) await main();
