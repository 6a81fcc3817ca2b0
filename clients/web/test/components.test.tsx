import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, Message, Server } from '../src/api/client';
import { ChannelSidebar } from '../src/components/ChannelSidebar';
import { Composer } from '../src/components/Composer';
import { MessageItem } from '../src/components/MessageItem';
import { ReconnectBanner } from '../src/components/ReconnectBanner';
import { useE2ee, versionKey } from '../src/lib/e2ee';
import { useConnection } from '../src/lib/gateway';
import { useAuth } from '../src/stores/auth';
import { useChat } from '../src/stores/chat';
import { useComposer } from '../src/stores/composer';
import { messageOf } from './support/messages';

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
  return messageOf({ id, author_id: author, content: 'hello **there**', ...extra });
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

describe('attachments', () => {
  const dm: Channel = {
    id: 'd1',
    server_id: null,
    name: '',
    kind: 'dm',
    topic: '',
    dm_members: [ME, YOU],
  };

  it('shows a DM file from the decrypted message, with its name, size and lock', () => {
    const file = {
      file_id: 'b'.repeat(64),
      key: 'K'.repeat(43),
      name: 'plan.txt',
      size: 15,
      content_type: 'text/plain',
    };
    const sealed = message('m4', YOU, {
      channel_id: 'd1',
      content: null,
      ciphertext: 'c',
      header: 'h',
      attachments: [file.file_id],
    });
    useChat.getState().putChannels([dm]);
    useE2ee.setState({
      plaintexts: { [versionKey(sealed)]: JSON.stringify({ text: 'the plan', files: [file] }) },
    });
    render(<MessageItem message={sealed} />);
    expect(screen.getByText('the plan')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Download plan.txt, 15 B' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Encrypted file' })).toBeTruthy();
  });

  it('shows each file being attached with its upload progress', () => {
    useComposer.getState().addFile({ id: 'u1', name: 'notes.bin', size: 3_000_000 });
    useComposer.getState().updateFile('u1', { progress: 0.42 });
    render(<Composer channel={general} />);
    const bar = screen.getByRole('progressbar', { name: 'Upload of notes.bin' });
    expect(bar.getAttribute('value')).toBe('42');
    expect(screen.getByText('3.0 MB')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove notes.bin' }));
    expect(screen.queryByRole('progressbar')).toBeNull();
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

describe('channel management', () => {
  const sidebar = () =>
    render(
      <MemoryRouter>
        <ChannelSidebar serverId="s1" channelId="c1" />
      </MemoryRouter>,
    );

  it('offers the owner to create a public or private channel', () => {
    sidebar();
    fireEvent.click(screen.getByRole('button', { name: 'Create a channel' }));
    expect(screen.getByRole('dialog', { name: 'Create a channel' })).toBeTruthy();
    expect(screen.getByLabelText('Public: every member')).toHaveProperty('checked', true);
    fireEvent.click(screen.getByLabelText('Private: moderators and the owner'));
    expect(screen.getByLabelText('Private: moderators and the owner')).toHaveProperty(
      'checked',
      true,
    );
  });

  it('offers a member no channel management', () => {
    useAuth.setState({ userId: YOU });
    sidebar();
    expect(screen.queryByRole('button', { name: 'Create a channel' })).toBeNull();
  });

  it('labels private channels', () => {
    useChat.getState().putChannels([{ ...general, id: 'c2', name: 'mods', kind: 'private' }]);
    sidebar();
    expect(screen.getByRole('link', { name: 'Private channel mods' })).toBeTruthy();
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
