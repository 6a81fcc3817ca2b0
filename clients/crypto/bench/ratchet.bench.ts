/**
 * Double Ratchet and X3DH cost of @hearth/crypto in Node, and the same figures for Signal's
 * libsignal-client measured in the same run when it is installed (see libsignal-reference.ts).
 *
 *     npm run bench
 *
 * "one-way": one side sends, the other reads (symmetric chain steps only).
 * "ping-pong": the sides alternate, so every message also takes a DH ratchet step.
 * "first message": X3DH on both sides (bundle signature check included) plus the first message
 * encrypted and decrypted, with fresh identities each time.
 */
import {
  createInitiatorSession,
  createResponderSession,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  MemoryKeyStore,
  SessionManager,
  sessionDecrypt,
  sessionEncrypt,
  type EncryptedMessage,
  type Session,
} from '../src/index.js';
import { loadLibsignal, measureLibsignal, type ReferenceFigures } from './libsignal-reference.js';
import { perSecond } from './measure.js';

const PAYLOAD = new Uint8Array(100).fill(0x61);

function firstMessage(): { alice: Session; bob: Session } {
  const aliceIdentity = generateIdentityKeyPair();
  const bobIdentity = generateIdentityKeyPair();
  const signedPrekey = generateSignedPrekey(bobIdentity, 1, Date.now());
  const [oneTimePrekey] = generateOneTimePrekeys(1, 1);
  if (oneTimePrekey === undefined) throw new Error('no one-time prekey');
  const alice = createInitiatorSession(aliceIdentity, {
    identityKey: bobIdentity.publicKey,
    signedPrekey,
    oneTimePrekey,
  });
  const sent = sessionEncrypt(alice, PAYLOAD);
  const initial = sent.message.initialMessage;
  if (initial === null) throw new Error('first message without X3DH data');
  const bob = createResponderSession(bobIdentity, signedPrekey, oneTimePrekey, initial);
  return { alice: sent.session, bob: sessionDecrypt(bob, sent.message).session };
}

function exchange(from: Session, to: Session): [Session, Session] {
  const sent = sessionEncrypt(from, PAYLOAD);
  return [sent.session, sessionDecrypt(to, sent.message).session];
}

async function measureHearth() {
  let { alice, bob } = firstMessage();
  [bob, alice] = exchange(bob, alice);
  const ratchetOneWayPerSecond = await perSecond(() => {
    [alice, bob] = exchange(alice, bob);
  });
  let turn = 0;
  const ratchetPingPongPerSecond = await perSecond(() => {
    if (turn++ % 2 === 0) [alice, bob] = exchange(alice, bob);
    else [bob, alice] = exchange(bob, alice);
  });
  const firstMessageMs = 1000 / (await perSecond(firstMessage));
  return { ratchetOneWayPerSecond, ratchetPingPongPerSecond, firstMessageMs };
}

/** The same one-way exchange through SessionManager, whose store serialises state per message. */
async function measureManagedPerSecond(): Promise<number> {
  const [aliceStore, bobStore] = [new MemoryKeyStore(), new MemoryKeyStore()];
  const bobIdentity = generateIdentityKeyPair();
  const signedPrekey = generateSignedPrekey(bobIdentity, 1, Date.now());
  await aliceStore.putIdentityKeyPair(generateIdentityKeyPair());
  await bobStore.putIdentityKeyPair(bobIdentity);
  await bobStore.putSignedPrekey(signedPrekey);
  const [alice, bob] = [new SessionManager(aliceStore), new SessionManager(bobStore)];
  await alice.initiate('bob', {
    identityKey: bobIdentity.publicKey,
    signedPrekey,
    oneTimePrekey: null,
  });
  await bob.decrypt('alice', await alice.encrypt('bob', PAYLOAD));
  await alice.decrypt('bob', await bob.encrypt('alice', PAYLOAD));
  return perSecond(async () => {
    const encrypted: EncryptedMessage = await alice.encrypt('bob', PAYLOAD);
    await bob.decrypt('alice', encrypted);
  });
}

const rate = (value: number): string => `${Math.round(value).toLocaleString('en')}/s`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;

function printReference(
  hearth: Awaited<ReturnType<typeof measureHearth>>,
  reference: ReferenceFigures,
): void {
  console.log(`\nlibsignal-client ${reference.version} (reference, same run)`);
  console.log(`  encrypt+decrypt one-way     ${rate(reference.ratchetOneWayPerSecond)}`);
  console.log(`  encrypt+decrypt ping-pong   ${rate(reference.ratchetPingPongPerSecond)}`);
  console.log(`  first message (PQXDH)       ${ms(reference.firstMessageMs)}`);
  console.log(
    '\nratio hearth / libsignal (throughput >1 means hearth is faster; cost <1 means cheaper)',
  );
  console.log(
    `  one-way throughput          ${(hearth.ratchetOneWayPerSecond / reference.ratchetOneWayPerSecond).toFixed(2)}`,
  );
  console.log(
    `  ping-pong throughput        ${(hearth.ratchetPingPongPerSecond / reference.ratchetPingPongPerSecond).toFixed(2)}`,
  );
  console.log(
    `  first-message cost          ${(hearth.firstMessageMs / reference.firstMessageMs).toFixed(2)}`,
  );
}

const hearth = await measureHearth();
const managed = await measureManagedPerSecond();
console.log(`@hearth/crypto (Node ${process.version}, ${PAYLOAD.length}-byte messages)`);
console.log(`  encrypt+decrypt one-way     ${rate(hearth.ratchetOneWayPerSecond)}`);
console.log(`  encrypt+decrypt ping-pong   ${rate(hearth.ratchetPingPongPerSecond)}`);
console.log(
  `  same via SessionManager     ${rate(managed)} (one-way, state stored as JSON each message)`,
);
console.log(`  first message (X3DH)        ${ms(hearth.firstMessageMs)}`);

const loaded = await loadLibsignal();
if ('reason' in loaded) {
  console.log(`\nlibsignal-client: not measured: ${loaded.reason}`);
  console.log('  It is AGPL-3.0-only and so not a dependency of this package; to compare, run');
  console.log('  `npm install --no-save @signalapp/libsignal-client` here, then `npm run bench`.');
} else {
  printReference(hearth, await measureLibsignal(loaded.lib, loaded.version));
}
