/**
 * Posting, editing and deleting messages: plaintext in server channels, encrypted with the
 * peer's session in DMs (api.md "Messages": a DM refuses `content`, other channels refuse
 * ciphertext).
 */
import { api, call, type Channel, type Message } from '../api/client';
import { useAuth } from '../stores/auth';
import { useChat } from '../stores/chat';
import { dmPartner } from './names';
import { dmCrypto } from './session';

async function encryptedBody(channel: Channel, text: string) {
  const peer = dmPartner(channel, useAuth.getState().userId);
  if (peer === null) throw new Error('a DM has two members');
  const json = await dmCrypto().encrypt(peer, text);
  return {
    version: 1 as const,
    ciphertext: json.ciphertext,
    header: json.header,
    ...(json.initial ? { initial: json.initial } : {}),
  };
}

export async function postMessage(
  channel: Channel,
  text: string,
  replyTo: string | null,
): Promise<void> {
  const path = { channel_id: channel.id };
  const reply = replyTo === null ? {} : { reply_to: replyTo };
  const body =
    channel.kind === 'dm'
      ? { ...(await encryptedBody(channel, text)), ...reply }
      : { content: text, ...reply };
  const message = await call(() =>
    api.POST('/api/v1/channels/{channel_id}/messages', { params: { path }, body }),
  );
  if (channel.kind === 'dm') dmCrypto().remember(message, text);
  useChat.getState().putMessage(message);
}

export async function editMessage(channel: Channel, message: Message, text: string): Promise<void> {
  const path = { channel_id: channel.id, message_id: message.id };
  const body = channel.kind === 'dm' ? await encryptedBody(channel, text) : { content: text };
  const edited = await call(() =>
    api.PATCH('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path }, body }),
  );
  if (channel.kind === 'dm') dmCrypto().remember(edited, text);
  useChat.getState().putMessage(edited);
}

export async function deleteMessage(message: Message): Promise<void> {
  const path = { channel_id: message.channel_id, message_id: message.id };
  await call(() =>
    api.DELETE('/api/v1/channels/{channel_id}/messages/{message_id}', { params: { path } }),
  );
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
