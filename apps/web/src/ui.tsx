/** Shared pieces: labelled fields with their errors, problem messages, status words. */
import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { Problem } from './api.ts';

/** A problem (or any error) as a message; field errors are shown next to their fields instead. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  // With field errors, the fields say what is wrong; the message only points at them.
  const text =
    error instanceof Problem
      ? error.errors.length > 0
        ? `${error.detail ?? error.title}: see the fields marked below.`
        : (error.detail ?? error.title)
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  error?: string | undefined;
  autoComplete?: string;
  inputMode?: 'decimal' | 'numeric' | 'email' | 'text';
  required?: boolean;
  hint?: string;
}

export function Field({
  label,
  value,
  onInput,
  type = 'text',
  error,
  autoComplete,
  inputMode,
  required = true,
  hint,
}: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        required={required}
        autoComplete={autoComplete}
        inputMode={inputMode}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** The field error for `name` from a problem, if any. */
export function fieldError(error: unknown, name: string): string | undefined {
  return error instanceof Problem ? error.fieldError(name) : undefined;
}

const WORDS: Record<string, string> = {
  pending: 'Pending',
  placed: 'Placed',
  filled: 'Filled',
  rejected: 'Rejected',
  failed: 'Failed',
  canceled: 'Canceled',
  expired: 'Expired',
  settling: 'Settling',
  completed: 'Completed',
  live: 'Live',
  stale: 'Stale',
  unavailable: 'Unavailable',
};

/** An API status as a word a person reads ("filled" → "Filled"). */
export function word(status: string): string {
  return WORDS[status] ?? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, ' ');
}

/** A reason code as words ("insufficient_funds" → "Insufficient funds"). */
export function reasonText(reason: string | null | undefined): string {
  return reason ? word(reason) : '';
}

export function Status({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{word(status)}</span>;
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      {children}
    </section>
  );
}

export function when(at: string): string {
  return new Date(at).toLocaleString();
}
