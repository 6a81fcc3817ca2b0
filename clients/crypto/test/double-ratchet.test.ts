import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  decodeHeader,
  DuplicateMessageError,
  HEADER_LENGTH,
  InvalidArgumentError,
  MalformedInputError,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  ratchetDecrypt,
  ratchetEncrypt,
  SkippedKeyLimitError,
  type RatchetMessage,
  type RatchetState,
} from '../src/index.js';
import { ratchetStateFromJson, ratchetStateToJson } from '../src/ratchet/state.js';
import { at } from './support/at.js';
import { flipBit } from './support/bits.js';
import { AD, ratchetPair, read, text } from './support/conversation.js';

function send(
  state: RatchetState,
  plaintext: string,
): { state: RatchetState; message: RatchetMessage } {
  return ratchetEncrypt(state, text(plaintext), AD);
}

function receive(
  state: RatchetState,
  message: RatchetMessage,
): { state: RatchetState; plaintext: string } {
  const result = ratchetDecrypt(state, message, AD);
  return { state: result.state, plaintext: read(result.plaintext) };
}

/** Sends `count` messages from `state`, returning the final state and the messages in order. */
function sendMany(state: RatchetState, prefix: string, count: number) {
  const messages: RatchetMessage[] = [];
  let current = state;
  for (let i = 0; i < count; i++) {
    const sent = send(current, `${prefix} ${i}`);
    current = sent.state;
    messages.push(sent.message);
  }
  return { state: current, messages };
}

describe('Double Ratchet round trips', () => {
  it('carries messages both ways across many DH ratchet turns', () => {
    let { alice, bob } = ratchetPair();
    for (let turn = 0; turn < 20; turn++) {
      const fromAlice = sendMany(alice, `alice turn ${turn}`, (turn % 3) + 1);
      alice = fromAlice.state;
      fromAlice.messages.forEach((message, i) => {
        const got = receive(bob, message);
        bob = got.state;
        expect(got.plaintext).toBe(`alice turn ${turn} ${i}`);
      });
      const fromBob = sendMany(bob, `bob turn ${turn}`, (turn % 2) + 1);
      bob = fromBob.state;
      fromBob.messages.forEach((message, i) => {
        const got = receive(alice, message);
        alice = got.state;
        expect(got.plaintext).toBe(`bob turn ${turn} ${i}`);
      });
    }
  });

  it('encrypts an empty message and a large one', () => {
    let { alice, bob } = ratchetPair();
    for (const size of [0, 1, 65_536]) {
      const plaintext = new Uint8Array(size).fill(7);
      const sent = ratchetEncrypt(alice, plaintext, AD);
      alice = sent.state;
      expect(sent.message.ciphertext.length).toBe(size + 16);
      const got = ratchetDecrypt(bob, sent.message, AD);
      bob = got.state;
      expect(got.plaintext).toEqual(plaintext);
    }
  });

  it('uses a new message key, so the same plaintext never gives the same ciphertext', () => {
    const { alice } = ratchetPair();
    const first = send(alice, 'same');
    const second = send(first.state, 'same');
    expect(second.message.ciphertext).not.toEqual(first.message.ciphertext);
  });

  it('lets the responder send only after it has received', () => {
    const { bob } = ratchetPair();
    expect(() => send(bob, 'too early')).toThrow(InvalidArgumentError);
  });

  it('survives a JSON round trip of the state in the middle of a conversation', () => {
    let { alice, bob } = ratchetPair();
    const early = sendMany(alice, 'early', 3);
    alice = early.state;
    bob = receive(bob, at(early.messages, 2)).state; // two keys now skipped
    const reply = send(bob, 'reply');
    bob = reply.state;
    alice = receive(alice, reply.message).state;

    const restoredBob = ratchetStateFromJson(
      JSON.parse(JSON.stringify(ratchetStateToJson(bob))),
      'state',
    );
    expect(restoredBob.skippedMessageKeys.size).toBe(2);
    expect(receive(restoredBob, at(early.messages, 0)).plaintext).toBe('early 0');
    const next = send(alice, 'after restore');
    expect(receive(restoredBob, next.message).plaintext).toBe('after restore');
  });
});

describe('out-of-order and lost messages', () => {
  /**
   * A conversation of several rounds (each round: one side sends a burst), delivered to each
   * side in an arbitrary order with some messages never delivered. Every delivered message
   * must decrypt to what was sent.
   */
  it('decrypts any delivery order with any losses (property)', () => {
    const rounds = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        rounds,
        fc.infiniteStream(fc.boolean()),
        fc.infiniteStream(fc.nat()),
        (bursts, dropStream, orderStream) => {
          let { alice, bob } = ratchetPair();
          const toBob: { message: RatchetMessage; plaintext: string }[] = [];
          const toAlice: { message: RatchetMessage; plaintext: string }[] = [];
          bursts.forEach((count, round) => {
            const aliceSends = round % 2 === 0;
            const sender = aliceSends ? alice : bob;
            const burst = sendMany(sender, `round ${round}`, count);
            if (aliceSends) alice = burst.state;
            else bob = burst.state;
            const queue = aliceSends ? toBob : toAlice;
            burst.messages.forEach((message, i) =>
              queue.push({ message, plaintext: `round ${round} ${i}` }),
            );
            // The first message of a round is always delivered before the other side answers,
            // as a real reply can only follow something received.
            const first = queue[queue.length - count];
            if (first === undefined) throw new Error('empty burst');
            if (aliceSends) bob = receive(bob, first.message).state;
            else alice = receive(alice, first.message).state;
            queue.splice(queue.length - count, 1);
          });
          const drops = dropStream.take(toBob.length + toAlice.length)[Symbol.iterator]();
          const order = orderStream[Symbol.iterator]();
          const shuffle = <T>(items: T[]): T[] =>
            items
              .map((item) => ({ item, key: order.next().value as number }))
              .sort((x, y) => x.key - y.key)
              .map(({ item }) => item);
          for (const { message, plaintext } of shuffle(toBob)) {
            if (drops.next().value === true) continue;
            const got = receive(bob, message);
            bob = got.state;
            expect(got.plaintext).toBe(plaintext);
          }
          for (const { message, plaintext } of shuffle(toAlice)) {
            if (drops.next().value === true) continue;
            const got = receive(alice, message);
            alice = got.state;
            expect(got.plaintext).toBe(plaintext);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads messages of an older chain that arrive after a DH ratchet step', () => {
    let { alice, bob } = ratchetPair();
    const first = sendMany(alice, 'chain 1', 3);
    alice = first.state;
    bob = receive(bob, at(first.messages, 0)).state;
    const reply = send(bob, 'reply');
    bob = reply.state;
    alice = receive(alice, reply.message).state;
    const second = send(alice, 'chain 2');
    bob = receive(bob, second.message).state; // header.pn = 3 stores chain-1 keys 1 and 2
    expect(bob.skippedMessageKeys.size).toBe(2);
    expect(receive(bob, at(first.messages, 2)).plaintext).toBe('chain 1 2');
  });
});

describe('skipped message key bounds', () => {
  it(`accepts a gap of exactly MAX_SKIP (${MAX_SKIP}) and refuses one more`, () => {
    const { alice, bob } = ratchetPair();
    const burst = sendMany(alice, 'm', MAX_SKIP + 2);
    const atLimit = receive(bob, at(burst.messages, MAX_SKIP));
    expect(atLimit.plaintext).toBe(`m ${MAX_SKIP}`);
    expect(atLimit.state.skippedMessageKeys.size).toBe(MAX_SKIP);
    expect(() => receive(bob, at(burst.messages, MAX_SKIP + 1))).toThrow(SkippedKeyLimitError);
  });

  it('counts the gap in the previous chain (header.pn) against the bound too', () => {
    let { alice, bob } = ratchetPair();
    let sent = send(alice, 'a0'); // Alice's chain 1; Bob reads it
    alice = sent.state;
    bob = receive(bob, sent.message).state;
    sent = send(bob, 'b0'); // Alice reads it and turns to chain 2
    bob = sent.state;
    alice = receive(alice, sent.message).state;
    sent = send(alice, 'a1'); // Bob reads message 0 of chain 2
    alice = sent.state;
    bob = receive(bob, sent.message).state;
    alice = sendMany(alice, 'lost', MAX_SKIP + 1).state; // never delivered
    sent = send(bob, 'b1'); // Alice reads it and turns to chain 3
    bob = sent.state;
    alice = receive(alice, sent.message).state;
    const next = send(alice, 'chain 3');
    expect(decodeHeader(next.message.header)).toMatchObject({ pn: MAX_SKIP + 2, n: 0 });
    expect(() => receive(bob, next.message)).toThrow(SkippedKeyLimitError);
  });

  it(`keeps at most MAX_SKIPPED_KEYS (${MAX_SKIPPED_KEYS}) keys, dropping the oldest`, () => {
    let { alice, bob } = ratchetPair();
    const chains: RatchetMessage[][] = [];
    for (let chain = 0; chain < 3; chain++) {
      const burst = sendMany(alice, `chain ${chain}`, MAX_SKIP + 1);
      alice = burst.state;
      chains.push(burst.messages);
      bob = receive(bob, at(burst.messages, MAX_SKIP)).state;
      const reply = send(bob, 'reply');
      bob = reply.state;
      alice = receive(alice, reply.message).state;
    }
    expect(bob.skippedMessageKeys.size).toBe(MAX_SKIPPED_KEYS);
    const oldest = at(at(chains, 0), 0);
    expect(() => receive(bob, oldest)).toThrow(AuthenticationError);
    expect(receive(bob, at(at(chains, 2), 0)).plaintext).toBe('chain 2 0');
  });
});

/**
 * An altered header is refused one way or another: a bad version byte does not parse, an
 * altered counter may exceed the skip bound, anything else fails authentication.
 */
function expectRefusal(action: () => unknown): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(
    error instanceof MalformedInputError ||
      error instanceof SkippedKeyLimitError ||
      error instanceof AuthenticationError,
  ).toBe(true);
}

describe('refused messages', () => {
  function firstExchange() {
    const { alice, bob } = ratchetPair();
    const sent = send(alice, 'secret');
    return { alice: sent.state, bob, message: sent.message };
  }

  it('refuses a replayed message: its key is deleted after use', () => {
    const { bob, message } = firstExchange();
    const after = receive(bob, message).state;
    expect(() => receive(after, message)).toThrow(DuplicateMessageError);
  });

  it('refuses a replay of a message that was read from the skipped keys', () => {
    const pair = ratchetPair();
    let bob = pair.bob;
    const burst = sendMany(pair.alice, 'm', 2);
    bob = receive(bob, at(burst.messages, 1)).state;
    bob = receive(bob, at(burst.messages, 0)).state;
    expect(() => receive(bob, at(burst.messages, 0))).toThrow(DuplicateMessageError);
  });

  it('refuses any flipped ciphertext bit and leaves the state as it was (property)', () => {
    const { bob, message } = firstExchange();
    fc.assert(
      fc.property(fc.nat({ max: message.ciphertext.length * 8 - 1 }), (bit) => {
        const ciphertext = flipBit(message.ciphertext, bit);
        expect(() => receive(bob, { ...message, ciphertext })).toThrow(AuthenticationError);
      }),
    );
    expect(receive(bob, message).plaintext).toBe('secret');
  });

  it('refuses any flipped header bit (property)', () => {
    const { bob, message } = firstExchange();
    fc.assert(
      fc.property(fc.nat({ max: HEADER_LENGTH * 8 - 1 }), (bit) => {
        const header = flipBit(message.header, bit);
        expectRefusal(() => receive(bob, { ...message, header }));
      }),
      { numRuns: 120 },
    );
    expect(receive(bob, message).plaintext).toBe('secret');
  });

  it('refuses a header counter that was altered', () => {
    const pair = ratchetPair();
    let bob = pair.bob;
    const burst = sendMany(pair.alice, 'm', 2);
    const header = at(burst.messages, 0).header.slice();
    header[HEADER_LENGTH - 1] = 1; // n: 0 -> 1
    expect(() => receive(bob, { ...at(burst.messages, 0), header })).toThrow(AuthenticationError);
    bob = receive(bob, at(burst.messages, 0)).state;
    expect(receive(bob, at(burst.messages, 1)).plaintext).toBe('m 1');
  });

  it('refuses a message sealed for different associated data', () => {
    const { bob, message } = firstExchange();
    expect(() => ratchetDecrypt(bob, message, new Uint8Array(66))).toThrow(AuthenticationError);
  });
});
