/** Sign-up and log-in. */
import { useState } from 'preact/hooks';
import { logIn, signUp } from './api.ts';
import { navigate, onLink } from './router.ts';
import { ErrorMessage, Field, Page, fieldError } from './ui.tsx';

export function SignUp() {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signUp(name, email, password);
      navigate('/accounts');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Sign up">
      <form onSubmit={submit} noValidate>
        <Field label="Name" value={name} onInput={setName} autoComplete="name" error={fieldError(error, 'name')} />
        <Field
          label="Email"
          type="email"
          value={email}
          onInput={setEmail}
          autoComplete="email"
          inputMode="email"
          error={fieldError(error, 'email')}
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete="new-password"
          hint="At least 10 characters"
          error={fieldError(error, 'password')}
        />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          Sign up
        </button>
      </form>
      <p>
        Already a customer?{' '}
        <a href="/login" onClick={onLink}>
          Log in instead
        </a>
      </p>
    </Page>
  );
}

export function LogIn() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await logIn(email, password);
      navigate('/accounts');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Log in">
      <form onSubmit={submit} noValidate>
        <Field
          label="Email"
          type="email"
          value={email}
          onInput={setEmail}
          autoComplete="email"
          inputMode="email"
          error={fieldError(error, 'email')}
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          error={fieldError(error, 'password')}
        />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here?{' '}
        <a href="/signup" onClick={onLink}>
          Create an account
        </a>
      </p>
    </Page>
  );
}
