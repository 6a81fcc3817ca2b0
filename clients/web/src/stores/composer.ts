/**
 * The composer's draft, the files being attached to it, and what it does besides writing a new
 * message: replying to or editing one. Kept in a store so that a message's Edit button can fill
 * the draft and a drop anywhere on the pane can attach files.
 */
import { create } from 'zustand';
import type { Message } from '../api/client';
import type { DmFile } from '../lib/files';

/** A file dropped, pasted or picked for the next message. */
export interface PendingFile {
  /** Local id, for the list and its updates. */
  readonly id: string;
  readonly name: string;
  readonly size: number;
  /** Upload progress from 0 to 1. */
  readonly progress: number;
  readonly status: 'uploading' | 'done' | 'failed';
  readonly error?: string;
  /** The node's id of the uploaded bytes, once done. */
  readonly fileId?: string;
  /** In a DM: what the encrypted message says of the file (key, name, type). */
  readonly dmFile?: DmFile;
}

interface ComposerState {
  draft: string;
  replyTo: Message | null;
  editing: Message | null;
  files: readonly PendingFile[];
  setDraft: (draft: string) => void;
  reply: (message: Message) => void;
  edit: (message: Message, text: string) => void;
  addFile: (file: Pick<PendingFile, 'id' | 'name' | 'size'>) => void;
  updateFile: (id: string, change: Partial<Omit<PendingFile, 'id'>>) => void;
  removeFile: (id: string) => void;
  /** Ends a reply or an edit; an edit's text goes, a reply's draft and the files stay. */
  cancel: () => void;
  /** Empties everything: after sending, and when the channel changes. */
  clear: () => void;
}

/** files.md "Attaching": at most 10 files per message. */
export const MAX_FILES = 10;

export const useComposer = create<ComposerState>()((set) => ({
  draft: '',
  replyTo: null,
  editing: null,
  files: [],
  setDraft(draft) {
    set({ draft });
  },
  reply(message) {
    set({ replyTo: message, editing: null });
  },
  edit(message, text) {
    set({ editing: message, replyTo: null, draft: text });
  },
  addFile(file) {
    set((s) => ({ files: [...s.files, { ...file, progress: 0, status: 'uploading' }] }));
  },
  updateFile(id, change) {
    set((s) => ({ files: s.files.map((f) => (f.id === id ? { ...f, ...change } : f)) }));
  },
  removeFile(id) {
    set((s) => ({ files: s.files.filter((f) => f.id !== id) }));
  },
  cancel() {
    set((s) => ({ replyTo: null, editing: null, draft: s.editing ? '' : s.draft }));
  },
  clear() {
    set({ replyTo: null, editing: null, draft: '', files: [] });
  },
}));

/** Whether every attachment is uploaded: a message waits for its files. */
export function filesReady(files: readonly PendingFile[]): boolean {
  return files.every((f) => f.status === 'done');
}
