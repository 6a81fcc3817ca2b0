/**
 * Argument checks shared by every export. Each error names the argument it is about, so a
 * failure reads as `identityKey must be 32 bytes` rather than a stack trace into a library.
 */
import { InvalidArgumentError } from './errors.js';

export function checkBytes(name: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint8Array`);
  }
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`${name} must be ${length} bytes`);
  }
  return value;
}

/** Wire counters and prekey ids are unsigned 32-bit integers (encoded big-endian). */
export function checkUint32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${name} must be an integer from 0 to 4294967295`);
  }
  return value;
}

export function checkNonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  }
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${name} must be a string`);
  return value;
}

export function checkNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(`${name} must be a non-empty string`);
  }
  return value;
}

const isArray: (value: unknown) => boolean = Array.isArray;

export function checkArray<T>(name: string, value: readonly T[]): readonly T[] {
  if (!isArray(value)) throw new InvalidArgumentError(`${name} must be an array`);
  return value;
}
