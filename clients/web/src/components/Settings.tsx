import QRCode from 'qrcode';
import { useCallback, useEffect, useState, type SyntheticEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Schemas } from '../api/client';
import { addPasskey } from '../lib/passkeys';
import { endSession } from '../lib/session';
import { useAuth } from '../stores/auth';
import { useTheme } from '../stores/theme';

type SessionInfo = Schemas['SessionView'];
type Passkey = Schemas['PasskeyView'];
type SecondFactors = Schemas['SecondFactorsOut'];

function when(ms: number | null): string {
  return ms === null
    ? 'never'
    : new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function reason(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The node cannot be reached.';
  switch (error.code) {
    case 'invalid_code':
      return 'That code is not valid.';
    case 'invalid_credentials':
      return 'Wrong password.';
    case 'rate_limited':
      return 'Too many attempts; wait a moment.';
    default:
      return error.message;
  }
}

/** The account's signed-in sessions (auth.md "SessionInfo"); the current one cannot be revoked here. */
export function SessionList({
  sessions,
  onRevoke,
}: {
  sessions: readonly SessionInfo[];
  onRevoke: (id: string) => void;
}) {
  return (
    <ul className="settings-list" aria-label="Active sessions">
      {sessions.map((s) => (
        <li key={s.id}>
          <span>
            <strong>{s.current ? 'This browser' : 'Another session'}</strong>
            <br />
            <small>
              Signed in {when(s.created_at_ms)} · last active {when(s.last_used_at_ms)}
            </small>
          </span>
          {!s.current && (
            <button
              type="button"
              onClick={() => {
                onRevoke(s.id);
              }}
              aria-label={`Revoke the session signed in ${when(s.created_at_ms)}`}
            >
              Revoke
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Recovery codes, shown once: they are not kept in the page after it closes. */
export function RecoveryCodes({ codes, onDone }: { codes: readonly string[]; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="recovery-codes" role="region" aria-label="Recovery codes">
      <p>
        Keep these recovery codes somewhere safe. Each signs you in once if you lose your second
        factor. They are shown only now.
      </p>
      <ol data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard.writeText(codes.join('\n')).then(() => {
            setCopied(true);
          });
        }}
      >
        {copied ? 'Copied' : 'Copy codes'}
      </button>
      <button type="button" onClick={onDone}>
        I have saved them
      </button>
    </div>
  );
}

/** A form asking for the password before a sensitive change (auth.md: re-authentication). */
function PasswordConfirm({
  label,
  action,
  onConfirm,
}: {
  label: string;
  action: string;
  onConfirm: (password: string) => Promise<void>;
}) {
  const [password, setPassword] = useState('');
  return (
    <form
      onSubmit={(event: SyntheticEvent) => {
        event.preventDefault();
        void onConfirm(password).then(() => {
          setPassword('');
        });
      }}
    >
      <label>
        {label}
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
          }}
        />
      </label>
      <button type="submit" className="danger">
        {action}
      </button>
    </form>
  );
}

/** A section's outcome: a polite status line and, when something failed, an alert. */
function Feedback({ status, error }: { status?: string | null; error: string | null }) {
  return (
    <>
      {status !== undefined && (
        <p className="notice" role="status">
          {status}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function SessionsSection() {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    call(() => api.GET('/api/v1/auth/sessions')).then(setSessions, (e: unknown) => {
      setError(reason(e));
    });
  }, []);
  useEffect(load, [load]);
  const revoke = (id: string) => {
    call(() =>
      api.DELETE('/api/v1/auth/sessions/{session_id}', { params: { path: { session_id: id } } }),
    )
      .then(load)
      .catch((e: unknown) => {
        setError(reason(e));
      });
  };
  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <Feedback error={error} />
      {sessions === null ? <p>Loading…</p> : <SessionList sessions={sessions} onRevoke={revoke} />}
      <div className="row">
        <button
          type="button"
          onClick={() => {
            endSession();
            void useAuth.getState().logout();
          }}
        >
          Sign out
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            endSession();
            void useAuth.getState().logoutEverywhere();
          }}
        >
          Sign out everywhere
        </button>
      </div>
    </section>
  );
}

/**
 * What the authenticator-app section offers for the account's TOTP state (auth.md
 * "SecondFactors"): set up while it is off, turn off while it is on, nothing until known.
 */
export function TotpControls({
  enabled,
  onSetUp,
  onTurnOff,
}: {
  enabled: boolean | null;
  onSetUp: () => void;
  onTurnOff: () => void;
}) {
  if (enabled === null) return <p>Loading…</p>;
  return (
    <div className="row">
      <p data-testid="totp-state">
        {enabled ? 'The authenticator app is on.' : 'The authenticator app is off.'}
      </p>
      {enabled ? (
        <button type="button" onClick={onTurnOff}>
          Turn off the authenticator app
        </button>
      ) : (
        <button type="button" onClick={onSetUp}>
          Set up an authenticator app
        </button>
      )}
    </div>
  );
}

function TotpSection({
  enabled,
  onChanged,
  onCodes,
}: {
  enabled: boolean | null;
  onChanged: () => void;
  onCodes: (codes: string[]) => void;
}) {
  const [setup, setSetup] = useState<{ secret: string; qr: string } | null>(null);
  const [code, setCode] = useState('');
  const [disabling, setDisabling] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const begin = () => {
    setError(null);
    call(() => api.POST('/api/v1/auth/2fa/enable'))
      .then(async (answer) => {
        const qr = await QRCode.toDataURL(answer.otpauth_uri, { margin: 1, width: 200 });
        setSetup({ secret: answer.secret, qr });
      })
      .catch((e: unknown) => {
        setError(reason(e));
        onChanged();
      });
  };
  const confirm = (event: SyntheticEvent) => {
    event.preventDefault();
    setError(null);
    call(() => api.POST('/api/v1/auth/2fa/verify', { body: { code: code.trim() } }))
      .then((answer) => {
        setSetup(null);
        setCode('');
        onCodes(answer.recovery_codes);
        onChanged();
      })
      .catch((e: unknown) => {
        setError(reason(e));
      });
  };
  const disable = (password: string) =>
    call(() => api.POST('/api/v1/auth/2fa/disable', { body: { password } })).then(
      () => {
        setDisabling(false);
        setError(null);
        onChanged();
      },
      (e: unknown) => {
        setError(reason(e));
      },
    );

  return (
    <section aria-labelledby="totp-heading">
      <h2 id="totp-heading">Authenticator app</h2>
      <Feedback error={error} />
      {setup === null ? (
        <TotpControls
          enabled={enabled}
          onSetUp={begin}
          onTurnOff={() => {
            setDisabling(!disabling);
          }}
        />
      ) : (
        <form onSubmit={confirm} className="totp-setup">
          <img src={setup.qr} alt="QR code for your authenticator app" width={200} height={200} />
          <p>
            Or type this secret: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <label>
            Code from the app
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              value={code}
              onChange={(e) => {
                setCode(e.target.value);
              }}
            />
          </label>
          <button type="submit">Confirm</button>
        </form>
      )}
      {disabling && enabled === true && setup === null && (
        <PasswordConfirm label="Password" action="Turn off" onConfirm={disable} />
      )}
    </section>
  );
}

/**
 * How many recovery codes are left, and a new set on demand (auth.md "TOTP"). Only an
 * account with a second factor has recovery codes; the new set replaces the old one at once.
 */
export function RecoveryCodeControls({
  factors,
  onRegenerate,
}: {
  factors: SecondFactors | null;
  /** Resolves true when the new set was made (and is being shown). */
  onRegenerate: (password: string) => Promise<boolean>;
}) {
  const [asking, setAsking] = useState(false);
  if (factors === null) return <p>Loading…</p>;
  if (!factors.totp_enabled && factors.passkeys === 0) {
    return (
      <p>Recovery codes come with a second factor: set up an authenticator app or a passkey.</p>
    );
  }
  const left = factors.recovery_codes_left;
  return (
    <>
      <p data-testid="recovery-codes-left">
        {left === 1 ? '1 recovery code left.' : `${String(left)} recovery codes left.`}
        {left === 0 && ' Generate new ones so that you can still sign in without your device.'}
      </p>
      <button
        type="button"
        onClick={() => {
          setAsking(!asking);
        }}
      >
        Generate new recovery codes
      </button>
      {asking && (
        <PasswordConfirm
          label="Password to replace your recovery codes"
          action="Replace recovery codes"
          onConfirm={(password) =>
            onRegenerate(password).then((made) => {
              if (made) setAsking(false);
            })
          }
        />
      )}
    </>
  );
}

function RecoveryCodesSection({
  factors,
  onChanged,
  onCodes,
}: {
  factors: SecondFactors | null;
  onChanged: () => void;
  onCodes: (codes: string[]) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const regenerate = (password: string) =>
    call(() => api.POST('/api/v1/auth/2fa/recovery-codes', { body: { password } })).then(
      (answer) => {
        setError(null);
        onCodes(answer.recovery_codes);
        onChanged();
        return true;
      },
      (e: unknown) => {
        setError(reason(e));
        return false;
      },
    );
  return (
    <section aria-labelledby="recovery-heading">
      <h2 id="recovery-heading">Recovery codes</h2>
      <Feedback error={error} />
      <RecoveryCodeControls factors={factors} onRegenerate={regenerate} />
    </section>
  );
}

function PasskeySection({
  onChanged,
  onCodes,
}: {
  onChanged: () => void;
  onCodes: (codes: string[]) => void;
}) {
  const [passkeys, setPasskeys] = useState<Passkey[] | null>(null);
  const [name, setName] = useState('This browser');
  const [removing, setRemoving] = useState<Passkey | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    call(() => api.GET('/api/v1/auth/webauthn/credentials')).then(setPasskeys, (e: unknown) => {
      setError(reason(e));
    });
  }, []);
  useEffect(load, [load]);

  const add = (event: SyntheticEvent) => {
    event.preventDefault();
    setError(null);
    addPasskey(name.trim() || 'Passkey').then(
      (added) => {
        setStatus('Passkey added.');
        if (added.recovery_codes) onCodes(added.recovery_codes);
        load();
        onChanged();
      },
      () => {
        setStatus('No passkey was added.');
      },
    );
  };
  const remove = (passkey: Passkey, password: string) =>
    call(() =>
      api.DELETE('/api/v1/auth/webauthn/credentials/{passkey_id}', {
        params: { path: { passkey_id: passkey.id } },
        body: { password },
      }),
    ).then(
      () => {
        setRemoving(null);
        setStatus('Passkey removed.');
        setError(null);
        load();
        onChanged();
      },
      (e: unknown) => {
        setError(reason(e));
      },
    );

  return (
    <section aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">Passkeys</h2>
      <Feedback status={status} error={error} />
      {passkeys !== null && passkeys.length === 0 && <p>No passkeys yet.</p>}
      <ul className="settings-list" aria-label="Passkeys">
        {(passkeys ?? []).map((p) => (
          <li key={p.id}>
            <span>
              <strong>{p.name}</strong>
              <br />
              <small>
                Added {when(p.created_at_ms)} · last used {when(p.last_used_at_ms)}
              </small>
            </span>
            <button
              type="button"
              onClick={() => {
                setRemoving(p);
              }}
              aria-label={`Remove passkey ${p.name}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {removing !== null && (
        <PasswordConfirm
          label={`Password to remove “${removing.name}”`}
          action="Remove passkey"
          onConfirm={(password) => remove(removing, password)}
        />
      )}
      <form onSubmit={add} className="row">
        <label>
          Passkey name
          <input
            value={name}
            maxLength={64}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        <button type="submit">Add passkey</button>
      </form>
    </section>
  );
}

/** Account settings: appearance, sessions, second factors (auth.md). */
export function Settings() {
  const { theme, toggle } = useTheme();
  const [codes, setCodes] = useState<string[] | null>(null);
  const [factors, setFactors] = useState<SecondFactors | null>(null);
  const [factorsError, setFactorsError] = useState<string | null>(null);
  const loadFactors = useCallback(() => {
    call(() => api.GET('/api/v1/auth/2fa')).then(
      (answer) => {
        setFactors(answer);
        setFactorsError(null);
      },
      (e: unknown) => {
        setFactorsError(reason(e));
      },
    );
  }, []);
  useEffect(loadFactors, [loadFactors]);
  const navigate = useNavigate();
  // Back to where the settings were opened from, or to the DMs when they were opened directly.
  const back = () => {
    const index = (window.history.state as { idx?: number } | null)?.idx ?? 0;
    void (index > 0 ? navigate(-1) : navigate('/channels/@me'));
  };
  return (
    <main className="settings">
      <header className="pane-header">
        <button type="button" className="icon" onClick={back} aria-label="Back to chat">
          ←
        </button>
        <h1>Settings</h1>
      </header>
      <section aria-labelledby="appearance-heading">
        <h2 id="appearance-heading">Appearance</h2>
        <button type="button" onClick={toggle}>
          Switch to {theme === 'dark' ? 'light' : 'dark'} theme
        </button>
      </section>
      <SessionsSection />
      {codes !== null && (
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
          }}
        />
      )}
      <Feedback error={factorsError} />
      <TotpSection
        enabled={factors?.totp_enabled ?? null}
        onChanged={loadFactors}
        onCodes={setCodes}
      />
      <PasskeySection onChanged={loadFactors} onCodes={setCodes} />
      <RecoveryCodesSection factors={factors} onChanged={loadFactors} onCodes={setCodes} />
    </main>
  );
}
