/**
 * The composer's draft, and what it does besides writing a new message: replying to or
 * editing one. Kept in a store so that a message's Edit button can fill the draft.
 */
import { create } from 'zustand';
import type { Message } from '../api/client';

interface ComposerState {
  draft: string;
  replyTo: Message | null;
  editing: Message | null;
  setDraft: (draft: string) => void;
  reply: (message: Message) => void;
  edit: (message: Message, text: string) => void;
  clear: () => void;
}

export const useComposer = create<ComposerState>()((set) => ({
  draft: '',
  replyTo: null,
  editing: null,
  setDraft(draft) {
    set({ draft });
  },
  reply(message) {
    set({ replyTo: message, editing: null });
  },
  edit(message, text) {
    set({ editing: message, replyTo: null, draft: text });
  },
  clear() {
    set({ replyTo: null, editing: null, draft: '' });
  },
}));
