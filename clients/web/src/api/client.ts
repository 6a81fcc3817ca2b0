/**
 * The node's REST API (docs/protocol/api.md), typed from the generated OpenAPI schema.
 *
 * The access token lives only in memory (auth.md "Tokens"); requests add it as a bearer header.
 * When the node answers `401 invalid_token` (the 15-minute token expired), the request is sent
 * once more after a refresh through the httpOnly cookie.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Session = Schemas['SessionOut'];
export type Server = Schemas['ServerView'];
export type Channel = Schemas['ChannelView'];
export type Member = Schemas['MemberView'];
export type Message = Schemas['MessageView'];
export type User = Schemas['UserView'];
export type Invite = Schemas['InviteView'];
export type ReadMarker = Schemas['ReadMarker'];

/** A refused request: `code` is the node's error code (api.md "Errors"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export interface TokenSource {
  /** The current access token, or null when signed out. */
  accessToken(): string | null;
  /** Gets a new access token through the refresh cookie; null when the session is over. */
  refresh(): Promise<string | null>;
}

let tokens: TokenSource = { accessToken: () => null, refresh: () => Promise.resolve(null) };

export function setTokenSource(source: TokenSource): void {
  tokens = source;
}

const bearer: Middleware = {
  onRequest({ request }) {
    const token = tokens.accessToken();
    if (token !== null && !request.headers.has('authorization')) {
      request.headers.set('authorization', `Bearer ${token}`);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location.origin,
  credentials: 'same-origin',
});
api.use(bearer);

/** The error code of a failed response body, `http_error` when it has none. */
export function errorOf(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : 'http_error';
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  return new ApiError(status, code, message, body);
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs a request, refreshing the access token once if it was refused as expired, and returns the
 * data or throws ApiError.
 */
export async function call<T>(send: () => Promise<Result<T>>): Promise<T> {
  let result = await send();
  if (result.response.status === 401 && errorOf(401, result.error).code === 'invalid_token') {
    if ((await tokens.refresh()) !== null) result = await send();
  }
  if (!result.response.ok) throw errorOf(result.response.status, result.error);
  return result.data as T;
}

/** The bearer header of the current access token, for requests made without openapi-fetch. */
export function authorization(): Record<string, string> {
  const token = tokens.accessToken();
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** Refreshes the access token once; true when a new one was issued. */
export async function refreshToken(): Promise<boolean> {
  return (await tokens.refresh()) !== null;
}

/**
 * A `fetch` of a node path with the bearer token, sent once more after a refresh if the token
 * had expired; a refusal throws ApiError. For routes whose answer is not JSON (file downloads).
 */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () =>
    fetch(path, {
      ...init,
      credentials: 'same-origin',
      headers: { ...(init.headers as Record<string, string> | undefined), ...authorization() },
    });
  let response = await send();
  if (response.status === 401 && (await codeOf(response)) === 'invalid_token') {
    if (await refreshToken()) response = await send();
  }
  if (!response.ok) throw errorOf(response.status, await response.json().catch(() => undefined));
  return response;
}

async function codeOf(response: Response): Promise<string> {
  return errorOf(
    response.status,
    await response
      .clone()
      .json()
      .catch(() => undefined),
  ).code;
}
