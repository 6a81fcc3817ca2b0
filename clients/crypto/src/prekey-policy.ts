/**
 * When to rotate signed prekeys and replenish one-time prekeys (X3DH §3.2 leaves the schedule
 * to the application). Pure functions over timestamps and counts, so every client applies the
 * same policy and tests need no clock.
 */
import { checkNonNegativeInteger, checkUint32 } from './validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A new signed prekey is published once the current one is this old. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * DAY_MS;
/**
 * A replaced signed prekey's secret is kept this long after its successor was created, so that
 * initial messages built from a bundle fetched just before the rotation can still be read.
 */
export const SIGNED_PREKEY_GRACE_MS = 30 * DAY_MS;
/** One-time prekeys are generated and uploaded in batches of this size. */
export const ONE_TIME_PREKEY_BATCH_SIZE = 100;
/** A new batch is uploaded when the node reports fewer than this many remaining. */
export const ONE_TIME_PREKEY_LOW_WATER_MARK = 20;

export interface PrekeyAge {
  readonly id: number;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export function isSignedPrekeyRotationDue(current: PrekeyAge, now: number): boolean {
  checkNonNegativeInteger('current.createdAt', current.createdAt);
  checkNonNegativeInteger('now', now);
  return now - current.createdAt >= SIGNED_PREKEY_ROTATION_MS;
}

/**
 * Ids of signed prekeys whose secret may now be deleted: every prekey except the newest whose
 * successor has existed for at least {@link SIGNED_PREKEY_GRACE_MS}.
 */
export function expiredSignedPrekeyIds(prekeys: readonly PrekeyAge[], now: number): number[] {
  checkNonNegativeInteger('now', now);
  prekeys.forEach((prekey, i) => {
    checkUint32(`prekeys[${i}].id`, prekey.id);
    checkNonNegativeInteger(`prekeys[${i}].createdAt`, prekey.createdAt);
  });
  const byAge = [...prekeys].sort((a, b) => a.createdAt - b.createdAt);
  const expired: number[] = [];
  byAge.forEach((prekey, i) => {
    const successor = byAge[i + 1];
    if (successor && now - successor.createdAt >= SIGNED_PREKEY_GRACE_MS) expired.push(prekey.id);
  });
  return expired;
}

/** How many one-time prekeys to generate now, given how many the node still holds. */
export function oneTimePrekeysToGenerate(remainingOnNode: number): number {
  checkNonNegativeInteger('remainingOnNode', remainingOnNode);
  return remainingOnNode < ONE_TIME_PREKEY_LOW_WATER_MARK ? ONE_TIME_PREKEY_BATCH_SIZE : 0;
}
