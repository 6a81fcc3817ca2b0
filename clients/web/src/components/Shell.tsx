import { useState } from 'react';
import { Navigate, useNavigate, useParams } from 'react-router';
import { useChat } from '../stores/chat';
import { ChannelSidebar } from './ChannelSidebar';
import { MemberList } from './MemberList';
import { MessagePane } from './MessagePane';
import { ReconnectBanner } from './ReconnectBanner';
import { JoinServerDialog } from './ServerDialogs';
import { ServerList } from './ServerList';

type Panel = 'none' | 'channels' | 'members';

/**
 * The signed-in layout: servers, channels, messages, members. Below 720 px the side panels
 * become drawers opened from the message pane's header.
 */
export function Shell() {
  const { serverId = '@me', channelId, code } = useParams();
  const navigate = useNavigate();
  const server = useChat((s) => (serverId === '@me' ? undefined : s.servers[serverId]));
  // A drawer opened for one channel closes when another is picked.
  const [opened, setOpened] = useState<{ channelId?: string; panel: Panel }>({ panel: 'none' });
  const panel = opened.channelId === channelId ? opened.panel : 'none';

  if (code !== undefined) {
    return (
      <JoinServerDialog
        initialCode={code}
        onClose={() => {
          void navigate('/channels/@me');
        }}
      />
    );
  }
  if (server && channelId === undefined) {
    return <Navigate to={`/channels/${server.id}/${server.general_channel_id}`} replace />;
  }
  return (
    <div className={`shell panel-${panel}`}>
      <ReconnectBanner />
      <ServerList current={serverId} />
      <ChannelSidebar serverId={serverId} channelId={channelId} />
      <MessagePane
        channelId={channelId}
        onOpenPanel={(p) => {
          setOpened({ channelId, panel: panel === p ? 'none' : p });
        }}
      />
      {server && <MemberList serverId={server.id} />}
    </div>
  );
}
