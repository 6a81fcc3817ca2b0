import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, Message, Server } from '../src/api/client';
import { ChannelSidebar } from '../src/components/ChannelSidebar';
import { MessageItem } from '../src/components/MessageItem';
import { ReconnectBanner } from '../src/components/ReconnectBanner';
import { useConnection } from '../src/lib/gateway';
import { useAuth } from '../src/stores/auth';
import { useChat } from '../src/stores/chat';
import { useComposer } from '../src/stores/composer';

const ME = '00000000-0000-4000-8000-00000000000a';
const YOU = '00000000-0000-4000-8000-00000000000b';
const SERVER: Server = { id: 's1', name: 'Hearth', owner_id: ME, general_channel_id: 'c1' };
const general: Channel = {
  id: 'c1',
  server_id: 's1',
  name: 'general',
  kind: 'public',
  topic: '',
  dm_members: null,
};

function message(id: string, author: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    channel_id: 'c1',
    author_id: author,
    content: 'hello **there**',
    ciphertext: null,
    header: null,
    initial: null,
    reply_to: null,
    hlc: '001700000000000-000000-node',
    edited_hlc: null,
    deleted: false,
    expires_at_ms: null,
    attachments: [],
    ...extra,
  };
}

beforeEach(() => {
  useAuth.setState({ status: 'signed-in', userId: ME, username: 'me' });
  useChat.getState().reset();
  useChat.getState().putServers([SERVER]);
  useChat.getState().putChannels([general]);
  useChat.getState().putMembers('s1', [
    { user_id: ME, username: 'me', display_name: 'me', role: 'owner', joined_hlc: '' },
    { user_id: YOU, username: 'you', display_name: 'you', role: 'member', joined_hlc: '' },
  ]);
  useComposer.getState().clear();
});
afterEach(cleanup);

describe('MessageItem', () => {
  it("shows the author's name and the rendered text, with edit and delete for one's own", () => {
    render(<MessageItem message={message('m1', ME, { edited_hlc: 'x' })} />);
    expect(screen.getByText('me')).toBeTruthy();
    expect(screen.getByText('there').tagName).toBe('STRONG');
    expect(screen.getByText('(edited)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Edit message' }));
    expect(useComposer.getState().draft).toBe('hello **there**');
    expect(useComposer.getState().editing?.id).toBe('m1');
  });

  it("offers only a reply on someone else's message", () => {
    render(<MessageItem message={message('m2', YOU)} />);
    expect(screen.queryByRole('button', { name: 'Edit message' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete message' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Reply' }));
    expect(useComposer.getState().replyTo?.id).toBe('m2');
  });

  it('shows a tombstone for a deleted message', () => {
    render(<MessageItem message={message('m3', YOU, { deleted: true, content: null })} />);
    expect(screen.getByText('Message deleted')).toBeTruthy();
    expect(screen.queryByText('there')).toBeNull();
  });
});

describe('ChannelSidebar', () => {
  it('marks a channel unread until its newest message is read', async () => {
    useChat.getState().putMessage(message('m1', YOU));
    render(
      <MemoryRouter>
        <ChannelSidebar serverId="s1" channelId={undefined} />
      </MemoryRouter>,
    );
    expect(screen.getByRole('link', { name: 'Channel general, unread' })).toBeTruthy();
    useChat.getState().setReadMarker('c1', { messageId: 'm1', hlc: message('m1', YOU).hlc });
    expect(await screen.findByRole('link', { name: 'Channel general' })).toBeTruthy();
  });
});

describe('ReconnectBanner', () => {
  it('shows only while the gateway reconnects', () => {
    useConnection.setState({ status: 'live' });
    const { rerender } = render(<ReconnectBanner />);
    expect(screen.queryByRole('status')).toBeNull();
    useConnection.setState({ status: 'reconnecting' });
    rerender(<ReconnectBanner />);
    expect(screen.getByRole('status').textContent).toContain('reconnecting');
  });
});
