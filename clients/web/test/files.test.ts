import { beforeEach, describe, expect, it } from 'vitest';
import { decodeDmPayload, encodeDmPayload } from '../src/lib/dm-payload';
import { formatSize, isImage, nameFromDisposition, type DmFile } from '../src/lib/files';
import { filesReady, MAX_FILES, useComposer } from '../src/stores/composer';
import { attachFiles } from '../src/lib/uploads';
import type { Channel } from '../src/api/client';

const FILE: DmFile = {
  file_id: 'a'.repeat(64),
  key: 'A'.repeat(43),
  name: 'plan.pdf',
  size: 48213,
  content_type: 'application/pdf',
};

describe('DM payload', () => {
  it('round-trips text and files as files.md shows them', () => {
    const plaintext = encodeDmPayload({ text: 'the plan', files: [FILE] });
    expect(JSON.parse(plaintext)).toEqual({ text: 'the plan', files: [FILE] });
    expect(decodeDmPayload(plaintext)).toEqual({ text: 'the plan', files: [FILE] });
  });

  it('leaves out an empty file list', () => {
    expect(encodeDmPayload({ text: 'hi', files: [] })).toBe('{"text":"hi"}');
  });

  it('reads bare text, and JSON that is not a payload, as text', () => {
    for (const plaintext of ['hello', '42', '[1,2]', '{"no":"text"}', 'null', '{broken']) {
      expect(decodeDmPayload(plaintext)).toEqual({ text: plaintext, files: [] });
    }
  });

  it('drops file entries that do not describe a file', () => {
    const bad = [
      { ...FILE, file_id: '../etc/passwd' },
      { ...FILE, key: 'short' },
      { ...FILE, size: -1 },
      { ...FILE, name: 7 },
      'a string',
      null,
    ];
    const plaintext = JSON.stringify({ text: 'x', files: [...bad, FILE] });
    expect(decodeDmPayload(plaintext).files).toEqual([FILE]);
  });
});

describe('file helpers', () => {
  it('formats sizes as people read them', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(999)).toBe('999 B');
    expect(formatSize(1500)).toBe('1.5 kB');
    expect(formatSize(3_000_000)).toBe('3.0 MB');
    expect(formatSize(48_213)).toBe('48 kB');
  });

  it('reads the exact name of a Content-Disposition, else its ASCII fallback', () => {
    expect(
      nameFromDisposition(
        `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
      ),
    ).toBe('résumé.pdf');
    expect(nameFromDisposition('inline; filename="a.png"')).toBe('a.png');
    expect(nameFromDisposition(`inline; filename="b.txt"; filename*=UTF-8''%E0%A4`)).toBe('b.txt');
    expect(nameFromDisposition(null)).toBe('file');
  });

  it('shows as thumbnails only image types a browser decodes without script', () => {
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
    expect(isImage('application/octet-stream')).toBe(false);
  });
});

describe('composer attachments', () => {
  const channel: Channel = {
    id: 'c1',
    server_id: 's1',
    name: 'general',
    kind: 'public',
    topic: '',
    dm_members: null,
  };

  beforeEach(() => {
    useComposer.getState().clear();
  });

  it('tracks progress and waits for every file', () => {
    const composer = useComposer.getState();
    composer.addFile({ id: 'u1', name: 'a.txt', size: 3 });
    composer.addFile({ id: 'u2', name: 'b.txt', size: 4 });
    composer.updateFile('u1', { progress: 0.5 });
    expect(useComposer.getState().files.map((f) => [f.id, f.progress, f.status])).toEqual([
      ['u1', 0.5, 'uploading'],
      ['u2', 0, 'uploading'],
    ]);
    composer.updateFile('u1', { status: 'done', progress: 1, fileId: 'f'.repeat(64) });
    expect(filesReady(useComposer.getState().files)).toBe(false);
    composer.removeFile('u2');
    expect(filesReady(useComposer.getState().files)).toBe(true);
  });

  it('keeps the files when a reply is cancelled and drops them when cleared', () => {
    const composer = useComposer.getState();
    composer.addFile({ id: 'u1', name: 'a.txt', size: 3 });
    composer.setDraft('draft');
    composer.cancel();
    expect(useComposer.getState().files).toHaveLength(1);
    expect(useComposer.getState().draft).toBe('draft');
    composer.clear();
    expect(useComposer.getState().files).toHaveLength(0);
  });

  it('refuses files past ten, and files over the size limit, without uploading them', async () => {
    for (let i = 0; i < MAX_FILES; i++) {
      useComposer.getState().addFile({ id: `held-${i}`, name: 'x', size: 1 });
    }
    const big = new File([new Uint8Array(1)], 'one-too-many.txt');
    await attachFiles(channel, [big]);
    const refused = useComposer.getState().files.at(-1);
    expect(refused?.status).toBe('failed');
    expect(refused?.error).toContain('at most 10 files');
  });
});
