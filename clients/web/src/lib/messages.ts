/**
 * Posting, editing and deleting messages: plaintext in server channels, encrypted with the
 * peer's session in DMs (api.md "Messages": a DM refuses `content`, other channels refuse
 * ciphertext).
 */
import { api, call, type Channel, type Message } from '../api/client';
import { useAuth } from '../stores/auth';
import { useChat } from '../stores/chat';
import type { PendingFile } from '../stores/composer';
import { decodeDmPayload, encodeDmPayload } from './dm-payload';
import { useE2ee, versionKey } from './e2ee';
import type { DmFile } from './files';
import { dmPartner } from './names';
import { dmCrypto } from './session';

async function encryptedBody(channel: Channel, plaintext: string) {
  const peer = dmPartner(channel, useAuth.getState().userId);
  if (peer === null) throw new Error('a DM has two members');
  const json = await dmCrypto().encrypt(peer, plaintext);
  return {
    version: 1 as const,
    ciphertext: json.ciphertext,
    header: json.header,
    ...(json.initial ? { initial: json.initial } : {}),
  };
}

/** Posts a message with the uploaded files; in a DM their keys travel inside the ciphertext. */
export async function postMessage(
  channel: Channel,
  text: string,
  replyTo: string | null,
  files: readonly PendingFile[] = [],
): Promise<void> {
  const path = { channel_id: channel.id };
  const reply = replyTo === null ? {} : { reply_to: replyTo };
  const ids = [...new Set(files.flatMap((f) => (f.fileId === undefined ? [] : [f.fileId])))];
  const attachments = ids.length > 0 ? { attachments: ids } : {};
  const dmFiles = files.flatMap((f) => (f.dmFile === undefined ? [] : [f.dmFile]));
  const plaintext = encodeDmPayload({ text, files: dmFiles });
  const body =
    channel.kind === 'dm'
      ? { ...(await encryptedBody(channel, plaintext)), ...reply, ...attachments }
      : { content: text, ...reply, ...attachments };
  const message = await call(() =>
    api.POST('/api/v1/channels/{channel_id}/messages', { params: { path }, body }),
  );
  if (channel.kind === 'dm') await dmCrypto().remember(message, plaintext);
  useChat.getState().putMessage(message);
}

/** The files a DM message describes, as this device decrypted or sent it. */
function dmFilesOf(message: Message): readonly DmFile[] {
  const known = useE2ee.getState().plaintexts[versionKey(message)];
  return known === undefined ? [] : decodeDmPayload(known).files;
}

/** Edits the text; the files stay (api.md: an edit does not change attachments). */
export async function editMessage(channel: Channel, message: Message, text: string): Promise<void> {
  const path = { channel_id: channel.id, message_id: message.id };
  const plaintext = encodeDmPayload({ text, files: dmFilesOf(message) });
  const body = channel.kind === 'dm' ? await encryptedBody(channel, plaintext) : { content: text };
  const edited = await call(() =>
    api.PATCH('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path }, body }),
  );
  if (channel.kind === 'dm') await dmCrypto().remember(edited, plaintext);
  useChat.getState().putMessage(edited);
}

export async function deleteMessage(message: Message): Promise<void> {
  const path = { channel_id: message.channel_id, message_id: message.id };
  await call(() =>
    api.DELETE('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path } }),
  );
  if (message.ciphertext !== null) await dmCrypto().forget(message.id);
  useChat
    .getState()
    .putMessage({ ...message, deleted: true, content: null, ciphertext: null, header: null });
}

export async function markRead(channelId: string, message: Message): Promise<void> {
  useChat.getState().setReadMarker(channelId, { messageId: message.id, hlc: message.hlc });
  await call(() =>
    api.PUT('/api/v1/channels/{channel_id}/read', {
      params: { path: { channel_id: channelId } },
      body: { message_id: message.id },
    }),
  );
}
