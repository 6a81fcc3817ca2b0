// Two clients hold an end-to-end encrypted conversation through a live Hearth node, using the
// built @hearth/crypto package and nothing but the node's REST API (docs/protocol/api.md, "Keys"
// and "Messages"; docs/protocol/e2ee.md).
//
//   node tests/integration/e2ee_conversation.mjs <node URL> <marker>
//
// Every plaintext contains <marker>, so the caller can search the node's storage for it. Prints
// one JSON object: what each side sent and decrypted, the DM's id, Bob's one-time prekey counts
// and whether each message carried an X3DH initial message. Any refusal ends the script with a
// non-zero exit code.
import {
  encryptedMessageFromJson,
  encryptedMessageToJson,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  keyUploadToJson,
  MemoryKeyStore,
  ONE_TIME_PREKEY_BATCH_SIZE,
  prekeyBundleFromJson,
  SessionManager,
} from '../../clients/crypto/dist/index.js';

const [base, marker] = process.argv.slice(2);
if (!base || !marker) throw new Error('usage: e2ee_conversation.mjs <node URL> <marker>');

async function call(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A user on one device: an account on the node, a key store and a session manager. */
class Client {
  constructor(name, session) {
    this.name = name;
    this.id = session.user_id;
    this.token = session.access_token;
    this.store = new MemoryKeyStore();
    this.sessions = new SessionManager(this.store);
    this.sent = [];
    this.decrypted = [];
  }

  static async register(name) {
    const username = `${name}-${crypto.randomUUID().slice(0, 8)}`;
    const password = 'a long passphrase 42';
    return new Client(
      name,
      await call('POST', '/api/v1/auth/register', null, { username, password }),
    );
  }

  get(path) {
    return call('GET', path, this.token);
  }

  post(path, body) {
    return call('POST', path, this.token, body);
  }

  /** X3DH §3.2: identity key, signed prekey and a batch of one-time prekeys to the node. */
  async publishKeys() {
    const identity = generateIdentityKeyPair();
    const signedPrekey = generateSignedPrekey(identity, 1, Date.now());
    const oneTimePrekeys = generateOneTimePrekeys(1, ONE_TIME_PREKEY_BATCH_SIZE);
    await this.store.putIdentityKeyPair(identity);
    await this.store.putSignedPrekey(signedPrekey);
    await this.store.putOneTimePrekeys(oneTimePrekeys);
    await this.post(
      '/api/v1/keys',
      keyUploadToJson(identity.publicKey, signedPrekey, oneTimePrekeys),
    );
  }

  async prekeysLeft() {
    return (await this.get('/api/v1/keys/count')).one_time_prekeys;
  }

  async startSession(peer) {
    const bundle = prekeyBundleFromJson(await this.get(`/api/v1/users/${peer.id}/keys`));
    await this.sessions.initiate(peer.id, bundle);
  }

  async send(dm, peer, text) {
    const message = await this.sessions.encrypt(peer.id, new TextEncoder().encode(text));
    const posted = await this.post(
      `/api/v1/channels/${dm}/messages`,
      encryptedMessageToJson(message),
    );
    this.sent.push(text);
    return posted;
  }

  /** Decrypts the peer's messages of `page` in the order given (which may not be theirs). */
  async read(peer, page) {
    for (const message of page.filter((m) => m.author_id === peer.id)) {
      if (message.content !== null) throw new Error('the node served plaintext in a DM');
      const encrypted = encryptedMessageFromJson({
        version: 1,
        initial: message.initial,
        header: message.header,
        ciphertext: message.ciphertext,
      });
      const { plaintext } = await this.sessions.decrypt(peer.id, encrypted);
      this.decrypted.push(new TextDecoder().decode(plaintext));
    }
  }
}

const alice = await Client.register('alice');
const bob = await Client.register('bob');
await alice.publishKeys();
await bob.publishKeys();
const bobPrekeysBefore = await bob.prekeysLeft();

const dm = (await alice.post('/api/v1/dms', { user_id: bob.id })).id;
await alice.startSession(bob);
const say = (from, to, count, round) =>
  Array.from({ length: count }, (_, i) => `${marker} ${from.name} → ${to.name} ${round}.${i} ✓`);

const carriedInitial = [];
async function turn(from, to, round, count, { reverse = false } = {}) {
  const posted = [];
  for (const text of say(from, to, count, round)) posted.push(await from.send(dm, to, text));
  carriedInitial.push(...posted.map((m) => m.initial !== null));
  const ids = new Set(posted.map((m) => m.id));
  const page = (await to.get(`/api/v1/channels/${dm}/messages?limit=100`)).filter((m) =>
    ids.has(m.id),
  );
  // Bob first reads Alice's opening messages newest first: the last one starts the session
  // (X3DH), the earlier ones then come from skipped message keys (DR §3.2).
  await to.read(from, reverse ? page.reverse() : page);
}

await turn(alice, bob, 1, 3, { reverse: true });
await turn(bob, alice, 2, 2);
await turn(alice, bob, 3, 2);
await turn(bob, alice, 4, 1);
await turn(alice, bob, 5, 1);

console.log(
  JSON.stringify({
    dm,
    alice: { id: alice.id, sent: alice.sent, decrypted: alice.decrypted },
    bob: { id: bob.id, sent: bob.sent, decrypted: bob.decrypted },
    bob_one_time_prekeys: { before: bobPrekeysBefore, after: await bob.prekeysLeft() },
    carried_initial: carriedInitial,
  }),
);
