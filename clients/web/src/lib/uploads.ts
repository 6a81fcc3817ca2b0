/**
 * Attaching files to the next message: each dropped, pasted or picked file is uploaded at once,
 * its progress shown in the composer. In a DM it is encrypted first (files.md "Encrypted
 * attachments"), so the node receives only an opaque blob.
 */
import type { Channel } from '../api/client';
import { MAX_FILES, useComposer } from '../stores/composer';
import { MAX_UPLOAD_BYTES, uploadEncrypted, uploadError, uploadFile } from './files';

let counter = 0;

async function uploadOne(channel: Channel, id: string, file: File): Promise<void> {
  const { updateFile } = useComposer.getState();
  const onProgress = (progress: number) => {
    updateFile(id, { progress });
  };
  try {
    if (channel.kind === 'dm') {
      const dmFile = await uploadEncrypted(file, onProgress);
      updateFile(id, { status: 'done', progress: 1, fileId: dmFile.file_id, dmFile });
    } else {
      const uploaded = await uploadFile(file, file.name || 'file', false, onProgress);
      updateFile(id, { status: 'done', progress: 1, fileId: uploaded.file_id });
    }
  } catch (error) {
    updateFile(id, { status: 'failed', error: uploadError(error) });
  }
}

/** Starts uploading files for the composer of `channel`; extra files past ten are refused. */
export function attachFiles(channel: Channel, files: readonly File[]): Promise<void> {
  const composer = useComposer.getState();
  const room = MAX_FILES - composer.files.length;
  const uploads: Promise<void>[] = [];
  files.forEach((file, index) => {
    counter += 1;
    const id = `upload-${counter}`;
    composer.addFile({ id, name: file.name || 'file', size: file.size });
    if (index >= room) {
      composer.updateFile(id, {
        status: 'failed',
        error: `A message takes at most ${MAX_FILES} files.`,
      });
    } else if (file.size > MAX_UPLOAD_BYTES) {
      composer.updateFile(id, { status: 'failed', error: 'The file is too large.' });
    } else {
      uploads.push(uploadOne(channel, id, file));
    }
  });
  return Promise.all(uploads).then(() => undefined);
}
