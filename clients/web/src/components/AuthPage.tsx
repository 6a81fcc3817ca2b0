import { useState, type SyntheticEvent } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../stores/auth';

/** Sign in or create an account; a second-factor prompt follows when the account has one. */
export function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const { status, error, login, register } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);

  if (status === 'two-factor') return <TwoFactorPrompt />;

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    await (mode === 'login' ? login(username, password) : register(username, password));
    setBusy(false);
  };
  const title = mode === 'login' ? 'Sign in to Hearth' : 'Create a Hearth account';
  return (
    <main className="centered">
      <form className="card auth" onSubmit={(e) => void submit(e)} aria-labelledby="auth-title">
        <h1 id="auth-title">{title}</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            minLength={2}
            maxLength={32}
            value={username}
            onChange={(e) => {
              setUsername(e.target.value);
            }}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={10}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
            }}
          />
        </label>
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
        {mode === 'login' ? (
          <p>
            New here? <Link to="/register">Create an account</Link>
          </p>
        ) : (
          <p>
            Have an account? <Link to="/login">Sign in</Link>
          </p>
        )}
      </form>
    </main>
  );
}

function TwoFactorPrompt() {
  const { error, submitCode, submitPasskey, challenge } = useAuth();
  const [code, setCode] = useState('');
  return (
    <main className="centered">
      <form
        className="card auth"
        aria-labelledby="tfa-title"
        onSubmit={(e) => {
          e.preventDefault();
          void submitCode(code);
        }}
      >
        <h1 id="tfa-title">Two-factor authentication</h1>
        <label>
          Code from your authenticator app, or a recovery code
          <input
            name="code"
            autoComplete="one-time-code"
            inputMode="text"
            required
            value={code}
            onChange={(e) => {
              setCode(e.target.value);
            }}
          />
        </label>
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">Verify</button>
        {challenge?.methods.includes('webauthn') && (
          <p>
            <button type="button" onClick={() => void submitPasskey()}>
              Use a passkey
            </button>
          </p>
        )}
      </form>
    </main>
  );
}
