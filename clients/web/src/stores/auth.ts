/**
 * Who is signed in (auth.md). The access token is kept in this store only, never in storage;
 * a reload gets a new one from the refresh cookie (`POST /auth/refresh`, no body). Refreshes are
 * serialised: presenting a spent refresh token revokes the session (auth.md "Theft detection").
 */
import { create } from 'zustand';
import { api, ApiError, call, setTokenSource, type Session } from '../api/client';
import { passkeyAssertion } from '../lib/passkeys';

export interface TwoFactorChallenge {
  readonly token: string;
  readonly methods: readonly string[];
}

export type AuthStatus = 'starting' | 'signed-out' | 'two-factor' | 'signed-in';

interface AuthState {
  status: AuthStatus;
  userId: string | null;
  username: string | null;
  /** The node's name: the `@node` of `username@node`. */
  node: string | null;
  accessToken: string | null;
  challenge: TwoFactorChallenge | null;
  error: string | null;
  /** Tries the refresh cookie once at start-up. */
  restore: () => Promise<void>;
  register: (username: string, password: string) => Promise<void>;
  login: (username: string, password: string) => Promise<void>;
  submitCode: (code: string) => Promise<void>;
  submitPasskey: () => Promise<void>;
  refresh: () => Promise<string | null>;
  logout: () => Promise<void>;
  logoutEverywhere: () => Promise<void>;
}

/**
 * Set while this browser holds a session, so that a first visit does not try a refresh it
 * knows will fail. Not a secret: the refresh token itself is in an httpOnly cookie.
 */
const SIGNED_IN_KEY = 'hearth.signed-in';

function readableError(error: unknown): string {
  if (!(error instanceof ApiError)) return 'The node cannot be reached.';
  switch (error.code) {
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'already_exists':
      return 'That username is taken.';
    case 'invalid_code':
      return 'That code is not valid.';
    case 'rate_limited':
      return 'Too many attempts; wait a moment.';
    default:
      return error.message;
  }
}

function challengeOf(error: unknown): TwoFactorChallenge | null {
  if (!(error instanceof ApiError) || error.code !== 'two_factor_required') return null;
  const body = error.body as { two_factor?: { challenge_token: string; methods: string[] } };
  return body.two_factor
    ? { token: body.two_factor.challenge_token, methods: body.two_factor.methods }
    : null;
}

let refreshing: Promise<string | null> | null = null;

export const useAuth = create<AuthState>()((set, get) => {
  const signedIn = (session: Session): void => {
    localStorage.setItem(SIGNED_IN_KEY, '1');
    set({
      status: 'signed-in',
      userId: session.user_id,
      username: session.username,
      node: session.node,
      accessToken: session.access_token,
      challenge: null,
      error: null,
    });
  };
  const signedOut = (): void => {
    localStorage.removeItem(SIGNED_IN_KEY);
    set({ status: 'signed-out', userId: null, accessToken: null, challenge: null });
  };

  return {
    status: 'starting',
    userId: null,
    username: null,
    node: null,
    accessToken: null,
    challenge: null,
    error: null,

    async restore() {
      if (localStorage.getItem(SIGNED_IN_KEY) === null || (await get().refresh()) === null) {
        signedOut();
      }
    },

    async register(username, password) {
      try {
        signedIn(
          await call(() => api.POST('/api/v1/auth/register', { body: { username, password } })),
        );
      } catch (error) {
        set({ error: readableError(error) });
      }
    },

    async login(username, password) {
      try {
        signedIn(
          await call(() => api.POST('/api/v1/auth/login', { body: { username, password } })),
        );
      } catch (error) {
        const challenge = challengeOf(error);
        if (challenge) set({ status: 'two-factor', challenge, error: null });
        else set({ error: readableError(error) });
      }
    },

    async submitCode(code) {
      const challenge = get().challenge;
      if (challenge === null) return;
      try {
        const body = { challenge_token: challenge.token, code: code.trim() };
        signedIn(await call(() => api.POST('/api/v1/auth/2fa/login', { body })));
      } catch (error) {
        if (error instanceof ApiError && error.code === 'invalid_challenge') signedOut();
        set({ error: readableError(error) });
      }
    },

    async submitPasskey() {
      const challenge = get().challenge;
      if (challenge === null) return;
      const challenge_token = challenge.token;
      try {
        const options = await call(() =>
          api.POST('/api/v1/auth/webauthn/authenticate/options', { body: { challenge_token } }),
        );
        const credential = await passkeyAssertion(options);
        const body = { challenge_token, credential };
        signedIn(await call(() => api.POST('/api/v1/auth/webauthn/authenticate/verify', { body })));
      } catch (error) {
        if (error instanceof ApiError && error.code === 'invalid_challenge') signedOut();
        set({
          error: error instanceof ApiError ? readableError(error) : 'The passkey was not used.',
        });
      }
    },

    refresh() {
      refreshing ??= (async () => {
        try {
          const session = await call(() => api.POST('/api/v1/auth/refresh', {}));
          signedIn(session);
          return session.access_token;
        } catch (error) {
          // Only the node's refusal ends the session; an unreachable node is retried later.
          if (error instanceof ApiError || get().status === 'starting') signedOut();
          return null;
        } finally {
          refreshing = null;
        }
      })();
      return refreshing;
    },

    async logout() {
      await call(() => api.POST('/api/v1/auth/logout', {})).catch(() => undefined);
      signedOut();
    },

    async logoutEverywhere() {
      await call(() => api.POST('/api/v1/auth/logout-all', {})).catch(() => undefined);
      signedOut();
    },
  };
});

setTokenSource({
  accessToken: () => useAuth.getState().accessToken,
  refresh: () => useAuth.getState().refresh(),
});
