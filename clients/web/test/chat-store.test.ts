import { beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../src/api/client';
import { renderHook } from '@testing-library/react';
import { useUserName, usernameOf } from '../src/lib/names';
import { isUnread, typingIn, useChat } from '../src/stores/chat';
import { messageOf } from './support/messages';

const CHANNEL = '00000000-0000-4000-8000-000000000001';
const ME = 'me';
const YOU = 'you';

function message(id: string, hlcMs: number, author = YOU, extra: Partial<Message> = {}): Message {
  return messageOf({
    id,
    author_id: author,
    channel_id: CHANNEL,
    content: `text ${id}`,
    hlc: `${String(hlcMs).padStart(15, '0')}-000000-node`,
    ...extra,
  });
}

const ids = () => useChat.getState().messages[CHANNEL]?.items.map((m) => m.id);

beforeEach(() => {
  useChat.getState().reset();
});

describe('messages of a channel', () => {
  it('merges pages and live messages in HLC order without duplicates', () => {
    const chat = useChat.getState();
    chat.putPage(CHANNEL, [message('c', 3), message('d', 4)]);
    chat.putMessage(message('e', 5));
    chat.putMessage(message('d', 4));
    chat.putPage(CHANNEL, [message('a', 1), message('b', 2)], { full: false });
    expect(ids()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(useChat.getState().messages[CHANNEL]?.hasOlder).toBe(false);
  });

  it('replaces an edited or deleted message in place', () => {
    const chat = useChat.getState();
    chat.putPage(CHANNEL, [message('a', 1), message('b', 2)]);
    chat.putMessage(message('a', 1, YOU, { content: 'edited', edited_hlc: 'x' }));
    chat.putMessage(message('b', 2, YOU, { content: null, deleted: true }));
    const items = useChat.getState().messages[CHANNEL]?.items ?? [];
    expect(items.map((m) => [m.id, m.content, m.deleted])).toEqual([
      ['a', 'edited', false],
      ['b', null, true],
    ]);
  });

  it('does not start a channel from a live message, so its history is loaded whole', () => {
    useChat.getState().putMessage(message('a', 1));
    expect(ids()).toBeUndefined();
    expect(isUnread(useChat.getState(), CHANNEL, ME)).toBe(true);
  });
});

describe('unread markers', () => {
  it('compares the newest message of others with the read marker', () => {
    const chat = useChat.getState();
    chat.putPage(CHANNEL, [message('a', 1), message('b', 2)]);
    expect(isUnread(useChat.getState(), CHANNEL, ME)).toBe(true);
    chat.setReadMarker(CHANNEL, { messageId: 'b', hlc: message('b', 2).hlc });
    expect(isUnread(useChat.getState(), CHANNEL, ME)).toBe(false);
    chat.putMessage(message('c', 3, ME));
    expect(isUnread(useChat.getState(), CHANNEL, ME)).toBe(false);
    chat.putMessage(message('d', 4));
    expect(isUnread(useChat.getState(), CHANNEL, ME)).toBe(true);
  });

  it('only moves a read marker forward', () => {
    const chat = useChat.getState();
    chat.setReadMarker(CHANNEL, { messageId: 'b', hlc: message('b', 2).hlc });
    chat.setReadMarker(CHANNEL, { messageId: 'a', hlc: message('a', 1).hlc });
    expect(useChat.getState().readMarkers[CHANNEL]?.messageId).toBe('b');
  });
});

describe('typing', () => {
  it('lapses after 8 seconds and ignores the caller', () => {
    const chat = useChat.getState();
    chat.setTyping(CHANNEL, YOU, true, 1000);
    chat.setTyping(CHANNEL, ME, true, 1000);
    expect(typingIn(useChat.getState(), CHANNEL, ME, 2000)).toEqual([YOU]);
    expect(typingIn(useChat.getState(), CHANNEL, ME, 9001)).toEqual([]);
    chat.setTyping(CHANNEL, YOU, false, 2000);
    expect(typingIn(useChat.getState(), CHANNEL, ME, 2000)).toEqual([]);
  });
});

describe('names', () => {
  beforeEach(() => {
    useChat.getState().reset();
  });

  it("name a user from a shared server's members first, else from the public profile", () => {
    const chat = useChat.getState();
    chat.putUsers([{ id: 'u1', username: 'carol', display_name: 'Carol' }]);
    expect(usernameOf('u1')).toBe('carol');
    chat.putMembers('s1', [
      {
        user_id: 'u1',
        username: 'carol',
        display_name: 'Carol C.',
        role: 'member',
        joined_hlc: '',
      },
    ]);
    const { result } = renderHook(() => useUserName('u1'));
    expect(result.current).toBe('Carol C.');
    expect(renderHook(() => useUserName('nobody')).result.current).toBe('unknown user');
    chat.putUsers([{ id: 'gone', username: null, display_name: null }]);
    expect(renderHook(() => useUserName('gone')).result.current).toBe('deleted user');
  });
});
