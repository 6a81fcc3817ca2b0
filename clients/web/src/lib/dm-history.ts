/**
 * The texts of DMs this device decrypted or sent, kept across reloads.
 *
 * A Double Ratchet message decrypts once (its key is deleted as it is used) and a sender cannot
 * decrypt its own, so without this a reload would leave a DM's history unreadable. Each text is
 * sealed at rest by @hearth/crypto's SealedDatabase (AES-GCM under a non-extractable key in the
 * same database), like the DM keys, in one database per account.
 *
 * One record per message, holding the version it was read from (its ratchet header): an edit
 * replaces it. A deleted or expired message's record is deleted too.
 */
import { SealedDatabase } from '@hearth/crypto/indexeddb';
import type { Message } from '../api/client';

const STORE = 'plaintexts';

interface Entry {
  readonly header: string | null;
  readonly plaintext: string;
  readonly expiresAtMs: number | null;
}

function isEntry(value: unknown): value is Entry {
  const entry = value as Partial<Entry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.plaintext === 'string' &&
    (entry.header === null || typeof entry.header === 'string') &&
    (entry.expiresAtMs === null || typeof entry.expiresAtMs === 'number')
  );
}

export class DmHistory {
  readonly #database: SealedDatabase;

  private constructor(database: SealedDatabase) {
    this.#database = database;
  }

  static async open(userId: string, indexedDB?: IDBFactory): Promise<DmHistory> {
    const database = await SealedDatabase.open({
      databaseName: `hearth-dm-history-${userId}`,
      stores: [STORE],
      ...(indexedDB === undefined ? {} : { indexedDB }),
    });
    return new DmHistory(database);
  }

  async #entry(messageId: string): Promise<Entry | undefined> {
    const bytes = await this.#database.get(STORE, messageId);
    if (bytes === undefined) return undefined;
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return isEntry(value) ? value : undefined;
  }

  /** The plaintext of this version of the message, if this device kept it. */
  async get(message: Pick<Message, 'id' | 'header'>): Promise<string | undefined> {
    const entry = await this.#entry(message.id);
    return entry?.header === message.header ? entry.plaintext : undefined;
  }

  async put(
    message: Pick<Message, 'id' | 'header' | 'expires_at_ms'>,
    plaintext: string,
  ): Promise<void> {
    const entry: Entry = { header: message.header, plaintext, expiresAtMs: message.expires_at_ms };
    await this.#database.put(STORE, message.id, new TextEncoder().encode(JSON.stringify(entry)));
  }

  async forget(messageId: string): Promise<void> {
    await this.#database.delete(STORE, messageId);
  }

  /** Deletes the texts of messages whose time to live has passed. */
  async forgetExpired(now = Date.now()): Promise<number> {
    let forgotten = 0;
    for (const id of await this.#database.keys(STORE)) {
      const entry = await this.#entry(id);
      if (entry?.expiresAtMs != null && entry.expiresAtMs <= now) {
        await this.forget(id);
        forgotten += 1;
      }
    }
    return forgotten;
  }

  close(): void {
    this.#database.close();
  }
}
