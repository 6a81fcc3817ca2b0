/**
 * Readers for JSON that arrives from outside (bundles, encrypted messages, stored state, backups). Each
 * refusal names the field's path, e.g. `bundle.signed_prekey.public_key must be 32 bytes`.
 */
import { fromBase64Url } from './encoding.js';
import { MalformedInputError } from './errors.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedInputError(`${path} must be a JSON object`);
  }
  return value as JsonObject;
}

export function asArray(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new MalformedInputError(`${path} must be a JSON array`);
  return value;
}

export function readString(object: JsonObject, key: string, path: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new MalformedInputError(`${path}.${key} must be a string`);
  return value;
}

export function readBytes(
  object: JsonObject,
  key: string,
  path: string,
  length?: number,
): Uint8Array {
  const bytes = fromBase64Url(readString(object, key, path), `${path}.${key}`);
  if (length !== undefined && bytes.length !== length) {
    throw new MalformedInputError(`${path}.${key} must be ${length} bytes`);
  }
  return bytes;
}

export function readInteger(
  object: JsonObject,
  key: string,
  path: string,
  max = 0xffffffff,
): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new MalformedInputError(`${path}.${key} must be an integer from 0 to ${max}`);
  }
  return value;
}

export function readVersion(object: JsonObject, path: string, expected: number): void {
  if (object.version !== expected) {
    throw new MalformedInputError(`${path}.version must be ${expected}`);
  }
}

export function parseJsonText(text: unknown, path: string): unknown {
  if (typeof text !== 'string') throw new MalformedInputError(`${path} must be a JSON string`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedInputError(`${path} is not valid JSON`);
  }
}
