import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Client } from 'minio';
import { readFully } from './file-io';

/** Random access to the bytes being uploaded: a Buffer, or a spooled file. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return { size: buffer.length, read: async (offset, length) => buffer.subarray(offset, offset + length) };
}

export function fileSource(fh: FileHandle, size: number): ByteSource {
  return { size, read: (offset, length) => readFully(fh, offset, length) };
}

/**
 * One PUT when the object fits in a part, otherwise a multipart upload holding one part in memory
 * at a time. Multipart is driven here rather than by putObject because putObject first lists the
 * bucket's incomplete uploads to resume one, which s3rver does not implement and which would let
 * two writers of one key share an upload id.
 */
export async function uploadObject(
  client: Client,
  bucket: string,
  key: string,
  source: ByteSource,
  headers: Record<string, string>,
): Promise<void> {
  const partSize = client.calculatePartSize(source.size);
  if (source.size <= partSize) {
    await client.putObject(bucket, key, await source.read(0, source.size), source.size, headers);
    return;
  }
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, headers);
  try {
    const etags: { part: number; etag: string }[] = [];
    for (let part = 1, offset = 0; offset < source.size; part++, offset += partSize) {
      const chunk = await source.read(offset, Math.min(partSize, source.size - offset));
      const contentMd5 = createHash('md5').update(chunk).digest('base64');
      const { etag } = await client.uploadPart(
        { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: { 'Content-MD5': contentMd5 } },
        chunk,
      );
      etags.push({ part, etag });
    }
    await client.completeMultipartUpload(bucket, key, uploadId, etags);
  } catch (err) {
    // Best effort: uncompleted parts are invisible but cost storage (s3rver cannot abort at all).
    await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw err;
  }
}
