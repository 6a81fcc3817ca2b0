/**
 * Passkeys (WebAuthn) as a second factor (auth.md "Passkeys"). The node sends options in the
 * WebAuthn JSON form and takes the credential back the same way; the browser does the rest.
 */
import { api, call, type Schemas } from '../api/client';

function publicKeyCredential(value: Credential | null): PublicKeyCredential {
  if (!(value instanceof PublicKeyCredential)) throw new Error('no passkey was used');
  return value;
}

/** The credential in the WebAuthn JSON form the node parses (typed `any` by the DOM library). */
function credentialJson(credential: PublicKeyCredential): Record<string, unknown> {
  const json: unknown = credential.toJSON();
  return json as Record<string, unknown>;
}

/** Signs a login challenge with one of the account's passkeys. */
export async function passkeyAssertion(options: unknown): Promise<Record<string, unknown>> {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(
    options as PublicKeyCredentialRequestOptionsJSON,
  );
  const credential = publicKeyCredential(await navigator.credentials.get({ publicKey }));
  return credentialJson(credential);
}

/**
 * Creates a passkey on this device and registers it with the node; the first passkey of an
 * account without recovery codes comes with a set of them (auth.md "Passkeys").
 */
export async function addPasskey(name: string): Promise<Schemas['PasskeyAdded']> {
  const options = await call(() => api.POST('/api/v1/auth/webauthn/register/options'));
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(
    options as unknown as PublicKeyCredentialCreationOptionsJSON,
  );
  const credential = publicKeyCredential(await navigator.credentials.create({ publicKey }));
  return call(() =>
    api.POST('/api/v1/auth/webauthn/register/verify', {
      body: { credential: credentialJson(credential), name },
    }),
  );
}
