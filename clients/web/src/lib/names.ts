import { useChat } from '../stores/chat';
import type { Channel } from '../api/client';

/** A user's name as any shared server's member list gives it. */
export function useUserName(userId: string | null): string {
  return useChat((s) => {
    if (userId === null) return '';
    for (const members of Object.values(s.members)) {
      const member = members[userId];
      if (member) return member.display_name ?? member.username ?? 'deleted user';
    }
    return 'unknown user';
  });
}

/** The username (the stable part of `username@node`), if known. */
export function usernameOf(userId: string): string | null {
  for (const members of Object.values(useChat.getState().members)) {
    const member = members[userId];
    if (member?.username) return member.username;
  }
  return null;
}

/** The other party of a DM. */
export function dmPartner(channel: Channel, self: string | null): string | null {
  return channel.dm_members?.find((id) => id !== self) ?? null;
}
