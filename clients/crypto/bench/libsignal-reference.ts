/**
 * The reference measurement: the same operations with Signal's own implementation,
 * @signalapp/libsignal-client (Rust, through Node-API). It is AGPL-3.0-only, so it is not a
 * dependency of this Apache-2.0 package; the bench loads it only when it has been installed
 * beside it (`npm install --no-save @signalapp/libsignal-client`).
 *
 * Current libsignal always runs PQXDH (X3DH plus an ML-KEM-1024 prekey) and its message format
 * carries a post-quantum ratchet, so its figures include that extra work.
 */
import { perSecond } from './measure.js';

interface PublicKey {
  serialize(): Uint8Array;
}
interface PrivateKey {
  getPublicKey(): PublicKey;
  sign(message: Uint8Array): Uint8Array;
}
interface IdentityKeyPair {
  readonly publicKey: PublicKey;
  readonly privateKey: PrivateKey;
}
interface Address {
  name(): string;
  deviceId(): number;
}
interface Ciphertext {
  serialize(): Uint8Array;
}
type Stores = ReturnType<typeof memoryStores>;

/** The part of the libsignal-client API the bench uses. */
interface Libsignal {
  IdentityKeyPair: { generate(): IdentityKeyPair };
  PrivateKey: { generate(): PrivateKey };
  KEMKeyPair: { generate(): { getPublicKey(): PublicKey } };
  PreKeyRecord: { new: (id: number, pub: PublicKey, priv: PrivateKey) => unknown };
  SignedPreKeyRecord: {
    new: (id: number, time: number, pub: PublicKey, priv: PrivateKey, sig: Uint8Array) => unknown;
  };
  KyberPreKeyRecord: { new: (id: number, time: number, pair: unknown, sig: Uint8Array) => unknown };
  PreKeyBundle: { new: (...fields: unknown[]) => unknown };
  ProtocolAddress: { new: (name: string, deviceId: number) => Address };
  PreKeySignalMessage: { deserialize(bytes: Uint8Array): unknown };
  SignalMessage: { deserialize(bytes: Uint8Array): unknown };
  processPreKeyBundle(
    bundle: unknown,
    to: Address,
    from: Address,
    ...stores: unknown[]
  ): Promise<void>;
  signalEncrypt(
    message: Uint8Array,
    to: Address,
    from: Address,
    ...stores: unknown[]
  ): Promise<Ciphertext>;
  signalDecrypt(
    message: unknown,
    from: Address,
    to: Address,
    ...stores: unknown[]
  ): Promise<Uint8Array>;
  signalDecryptPreKey(
    message: unknown,
    from: Address,
    to: Address,
    ...stores: unknown[]
  ): Promise<Uint8Array>;
}

export interface ReferenceFigures {
  readonly version: string;
  readonly ratchetOneWayPerSecond: number;
  readonly ratchetPingPongPerSecond: number;
  readonly firstMessageMs: number;
}

const key = (address: Address): string => `${address.name()}.${address.deviceId()}`;

function memoryStores(identity: IdentityKeyPair) {
  const sessions = new Map<string, unknown>();
  const identities = new Map<string, PublicKey>();
  const prekeys = new Map<number, unknown>();
  const signed = new Map<number, unknown>();
  const kyber = new Map<number, unknown>();
  return {
    session: {
      saveSession: (a: Address, r: unknown) => Promise.resolve(void sessions.set(key(a), r)),
      getSession: (a: Address) => Promise.resolve(sessions.get(key(a)) ?? null),
      getExistingSessions: (as: Address[]) => Promise.resolve(as.map((a) => sessions.get(key(a)))),
    },
    identity: {
      getIdentityKey: () => Promise.resolve(identity.privateKey),
      getIdentityKeyPair: () => Promise.resolve(identity),
      getLocalRegistrationId: () => Promise.resolve(1),
      saveIdentity: (a: Address, k: PublicKey) => Promise.resolve((identities.set(key(a), k), 0)),
      isTrustedIdentity: () => Promise.resolve(true),
      getIdentity: (a: Address) => Promise.resolve(identities.get(key(a)) ?? null),
    },
    prekey: {
      savePreKey: (id: number, r: unknown) => Promise.resolve(void prekeys.set(id, r)),
      getPreKey: (id: number) => Promise.resolve(prekeys.get(id)),
      removePreKey: (id: number) => Promise.resolve(void prekeys.delete(id)),
    },
    signed: {
      saveSignedPreKey: (id: number, r: unknown) => Promise.resolve(void signed.set(id, r)),
      getSignedPreKey: (id: number) => Promise.resolve(signed.get(id)),
    },
    kyber: {
      saveKyberPreKey: (id: number, r: unknown) => Promise.resolve(void kyber.set(id, r)),
      getKyberPreKey: (id: number) => Promise.resolve(kyber.get(id)),
      markKyberPreKeyUsed: () => Promise.resolve(),
    },
    prekeys,
    signedPrekeys: signed,
    kyberPrekeys: kyber,
  };
}

interface Party {
  readonly address: Address;
  readonly identity: IdentityKeyPair;
  readonly stores: Stores;
}

function party(lib: Libsignal, name: string): Party {
  const identity = lib.IdentityKeyPair.generate();
  return { address: lib.ProtocolAddress.new(name, 1), identity, stores: memoryStores(identity) };
}

/** Publishes one prekey bundle for `bob` (ids 1), as a server would hand it out. */
function bundleFor(lib: Libsignal, bob: Party): unknown {
  const prekey = lib.PrivateKey.generate();
  const signedPrekey = lib.PrivateKey.generate();
  const kyberPair = lib.KEMKeyPair.generate();
  const signedSignature = bob.identity.privateKey.sign(signedPrekey.getPublicKey().serialize());
  const kyberSignature = bob.identity.privateKey.sign(kyberPair.getPublicKey().serialize());
  bob.stores.prekeys.set(1, lib.PreKeyRecord.new(1, prekey.getPublicKey(), prekey));
  bob.stores.signedPrekeys.set(
    1,
    lib.SignedPreKeyRecord.new(
      1,
      Date.now(),
      signedPrekey.getPublicKey(),
      signedPrekey,
      signedSignature,
    ),
  );
  bob.stores.kyberPrekeys.set(
    1,
    lib.KyberPreKeyRecord.new(1, Date.now(), kyberPair, kyberSignature),
  );
  return lib.PreKeyBundle.new(
    1,
    1,
    1,
    prekey.getPublicKey(),
    1,
    signedPrekey.getPublicKey(),
    signedSignature,
    bob.identity.publicKey,
    1,
    kyberPair.getPublicKey(),
    kyberSignature,
  );
}

const PAYLOAD = new Uint8Array(100).fill(0x61);

async function send(lib: Libsignal, from: Party, to: Party): Promise<Uint8Array> {
  const message = await lib.signalEncrypt(
    PAYLOAD,
    to.address,
    from.address,
    from.stores.session,
    from.stores.identity,
  );
  return message.serialize();
}

async function receive(
  lib: Libsignal,
  at: Party,
  from: Party,
  bytes: Uint8Array,
  first: boolean,
): Promise<void> {
  const { session, identity, prekey, signed, kyber } = at.stores;
  if (first) {
    const message = lib.PreKeySignalMessage.deserialize(bytes);
    await lib.signalDecryptPreKey(
      message,
      from.address,
      at.address,
      session,
      identity,
      prekey,
      signed,
      kyber,
    );
  } else {
    await lib.signalDecrypt(
      lib.SignalMessage.deserialize(bytes),
      from.address,
      at.address,
      session,
      identity,
    );
  }
}

/** A session in steady state: both sides have sent and read one message. */
async function connectedPair(lib: Libsignal): Promise<{ alice: Party; bob: Party }> {
  const alice = party(lib, 'alice');
  const bob = party(lib, 'bob');
  const { session, identity } = alice.stores;
  await lib.processPreKeyBundle(bundleFor(lib, bob), bob.address, alice.address, session, identity);
  await receive(lib, bob, alice, await send(lib, alice, bob), true);
  await receive(lib, alice, bob, await send(lib, bob, alice), false);
  return { alice, bob };
}

export async function measureLibsignal(lib: Libsignal, version: string): Promise<ReferenceFigures> {
  const oneWay = await connectedPair(lib);
  const ratchetOneWayPerSecond = await perSecond(async () => {
    await receive(lib, oneWay.bob, oneWay.alice, await send(lib, oneWay.alice, oneWay.bob), false);
  });
  const pingPong = await connectedPair(lib);
  let turn = 0;
  const ratchetPingPongPerSecond = await perSecond(async () => {
    const [from, to] =
      turn++ % 2 === 0 ? [pingPong.alice, pingPong.bob] : [pingPong.bob, pingPong.alice];
    await receive(lib, to, from, await send(lib, from, to), false);
  });
  const firstMessages = await perSecond(async () => {
    const alice = party(lib, 'alice');
    const bob = party(lib, 'bob');
    const bundle = bundleFor(lib, bob);
    await lib.processPreKeyBundle(
      bundle,
      bob.address,
      alice.address,
      alice.stores.session,
      alice.stores.identity,
    );
    await receive(lib, bob, alice, await send(lib, alice, bob), true);
  });
  return {
    version,
    ratchetOneWayPerSecond,
    ratchetPingPongPerSecond,
    firstMessageMs: 1000 / firstMessages,
  };
}

/** Loads libsignal-client if it is installed here; otherwise says why not. */
export async function loadLibsignal(): Promise<
  { lib: Libsignal; version: string } | { reason: string }
> {
  const name = '@signalapp/libsignal-client';
  try {
    const lib = (await import(name)) as Libsignal;
    const { createRequire } = await import('node:module');
    const manifest = createRequire(import.meta.url)(`${name}/package.json`) as { version: string };
    lib.PrivateKey.generate(); // loads the native library: fails here if no binary fits
    return { lib, version: manifest.version };
  } catch (error) {
    return {
      reason: error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error),
    };
  }
}
