import type { Message } from '../../src/api/client';

/** A message as the node answers it: plain text in channel `c1`, unless `fields` say otherwise. */
export function messageOf(fields: Partial<Message> & Pick<Message, 'id' | 'author_id'>): Message {
  return {
    channel_id: 'c1',
    content: '',
    ciphertext: null,
    header: null,
    initial: null,
    reply_to: null,
    hlc: '001700000000000-000000-node',
    edited_hlc: null,
    deleted: false,
    expires_at_ms: null,
    attachments: [],
    ...fields,
  };
}
