import { useChat } from '../stores/chat';
import type { Channel, User } from '../api/client';

type Named = Pick<User, 'username' | 'display_name'>;

/** What any shared server's member list, or else the user's public profile, says of a user. */
function known(state: ReturnType<typeof useChat.getState>, userId: string): Named | undefined {
  for (const members of Object.values(state.members)) {
    const member = members[userId];
    if (member) return member;
  }
  return state.users[userId];
}

/** A user's display name. */
export function useUserName(userId: string | null): string {
  return useChat((s) => {
    if (userId === null) return '';
    const user = known(s, userId);
    if (user === undefined) return 'unknown user';
    return user.display_name ?? user.username ?? 'deleted user';
  });
}

/** The username (the stable part of `username@node`), if known. */
export function usernameOf(userId: string): string | null {
  return known(useChat.getState(), userId)?.username ?? null;
}

/** The other party of a DM. */
export function dmPartner(channel: Channel, self: string | null): string | null {
  return channel.dm_members?.find((id) => id !== self) ?? null;
}
