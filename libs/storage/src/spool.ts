import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactBody } from './artifact-store';
import { bodyChunks, ContentDigest } from './body';
import { writeFully } from './file-io';

export interface SpooledBody {
  path: string;
  size: number;
  sha256: string;
  remove(): Promise<void>;
}

/**
 * Copies the body into a private temp file, hashing it on the way. S3 takes object metadata with
 * the first request of an upload, so the sha256 has to be known before the upload starts.
 */
export async function spoolToTempFile(body: ArtifactBody, dir: string): Promise<SpooledBody> {
  const path = join(dir, `retort-spool-${randomBytes(8).toString('hex')}`);
  const remove = () => rm(path, { force: true });
  const digest = new ContentDigest();
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      for await (const chunk of bodyChunks(body)) {
        digest.update(chunk);
        await writeFully(fh, chunk);
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, size: digest.size, sha256: digest.hex(), remove };
}
