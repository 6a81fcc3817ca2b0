/**
 * The primitives Hearth relies on, checked against their official test vectors, so that a
 * library upgrade that changed any of them would fail here first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fromBase64Url, toBase64Url } from '../src/encoding.js';
import { MalformedInputError } from '../src/index.js';
import {
  aeadOpen,
  aeadSeal,
  diffieHellman,
  ed25519PublicKey,
  ed25519PublicToX25519,
  ed25519SecretToX25519,
  ed25519Sign,
  ed25519Verify,
  hkdfSha256,
  hmacSha256,
  x25519PublicKey,
} from '../src/primitives.js';
import { flipBit } from './support/bits.js';
import { hex, unhex } from './support/hex.js';

describe('X25519, RFC 7748 section 6.1', () => {
  const alice = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bob = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

  it('derives the public keys and the shared secret', () => {
    const alicePublic = x25519PublicKey(alice);
    const bobPublic = x25519PublicKey(bob);
    expect(hex(alicePublic)).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    expect(hex(bobPublic)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(diffieHellman(alice, bobPublic))).toBe(shared);
    expect(hex(diffieHellman(bob, alicePublic))).toBe(shared);
  });

  it('refuses a low-order public key (all-zero output)', () => {
    expect(() => diffieHellman(alice, new Uint8Array(32))).toThrow('low order');
  });
});

describe('Ed25519, RFC 8032 section 7.1 TEST 1', () => {
  const seed = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const signature =
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

  it('derives the public key and signs the empty message', () => {
    const publicKey = ed25519PublicKey(seed);
    expect(hex(publicKey)).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(hex(ed25519Sign(seed, new Uint8Array(0)))).toBe(signature);
    expect(ed25519Verify(publicKey, new Uint8Array(0), unhex(signature))).toBe(true);
    expect(ed25519Verify(publicKey, Uint8Array.of(0), unhex(signature))).toBe(false);
  });
});

describe('Ed25519 to X25519, libsodium test/default/ed25519_convert', () => {
  it('matches crypto_sign_ed25519_pk_to_curve25519 and _sk_to_curve25519', () => {
    const seed = unhex('421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee');
    const publicKey = ed25519PublicKey(seed);
    expect(hex(publicKey)).toBe('b5076a8474a832daee4dd5b4040983b6623b5f344aca57d4d6ee4baf3f259e6e');
    expect(hex(ed25519PublicToX25519(publicKey))).toBe(
      'f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50',
    );
    expect(hex(ed25519SecretToX25519(seed))).toBe(
      '8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166',
    );
  });
});

describe('HKDF-SHA256, RFC 5869 A.1', () => {
  it('expands test case 1', () => {
    const okm = hkdfSha256(
      new Uint8Array(22).fill(0x0b),
      unhex('000102030405060708090a0b0c'),
      unhex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(hex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('HMAC-SHA256, RFC 4231 test case 2', () => {
  it('authenticates "what do ya want for nothing?"', () => {
    const text = new TextEncoder();
    expect(hex(hmacSha256(text.encode('Jefe'), text.encode('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('XChaCha20-Poly1305, draft-irtf-cfrg-xchacha-03 A.3.1', () => {
  const key = unhex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = unhex('404142434445464748494a4b4c4d4e4f5051525354555657');
  const ad = unhex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const sealed =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52ec0875924c1c7987947deafd8780acf49';

  it('seals and opens the draft vector', () => {
    expect(hex(aeadSeal(key, nonce, plaintext, ad))).toBe(sealed);
    expect(aeadOpen(key, nonce, unhex(sealed), ad, 'vector')).toEqual(plaintext);
  });

  it('refuses a flipped bit in the tag or the associated data', () => {
    const tampered = flipBit(unhex(sealed), sealed.length * 4 - 1);
    expect(() => aeadOpen(key, nonce, tampered, ad, 'vector')).toThrow('failed authentication');
    expect(() => aeadOpen(key, nonce, unhex(sealed), Uint8Array.of(1), 'vector')).toThrow(
      'failed authentication',
    );
  });
});

describe('base64url without padding (RFC 4648 section 5)', () => {
  it('matches Node and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text, 'value')).toEqual(bytes);
      }),
    );
  });

  it('refuses padding, the standard alphabet and non-canonical trailing bits', () => {
    for (const text of ['AA==', 'a+b/', 'A', 'AB']) {
      expect(() => fromBase64Url(text, 'value')).toThrow(MalformedInputError);
    }
    expect(fromBase64Url('AA', 'value')).toEqual(Uint8Array.of(0));
  });
});
