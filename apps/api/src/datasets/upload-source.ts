import type { Request } from 'express';
import busboy from 'busboy';
import { Transform, type Readable } from 'node:stream';
import { ProblemException } from '../common/problem';

/**
 * The uploaded file as a stream: the raw body (application/x-ndjson, application/jsonl,
 * text/plain, application/octet-stream) or the first file part of a multipart/form-data body.
 * The stream errors with a 413 problem once more than maxBytes have arrived.
 */
export function uploadSource(req: Request, maxBytes: number): Promise<{ stream: Readable; filename?: string }> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') return multipartFile(req, maxBytes);
  if (['', 'application/x-ndjson', 'application/jsonl', 'application/jsonlines', 'text/plain', 'application/octet-stream'].includes(type)) {
    return Promise.resolve({ stream: req.pipe(byteLimit(maxBytes)) });
  }
  throw new ProblemException(415, 'unsupported-media-type', `send the JSONL file as application/x-ndjson or multipart/form-data, not ${type}`);
}

function multipartFile(req: Request, maxBytes: number): Promise<{ stream: Readable; filename?: string }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes } });
    } catch (err) {
      reject(new ProblemException(400, 'bad-request', `invalid multipart body: ${(err as Error).message}`));
      return;
    }
    let found = false;
    bb.on('file', (_field, file, info) => {
      found = true;
      const limited = byteLimit(maxBytes);
      file.on('limit', () => limited.destroy(tooLarge(maxBytes)));
      resolve({ stream: file.pipe(limited), filename: info.filename });
    });
    bb.on('error', (err) => reject(new ProblemException(400, 'bad-request', `invalid multipart body: ${(err as Error).message}`)));
    bb.on('finish', () => {
      if (!found) reject(new ProblemException(400, 'bad-request', 'the multipart body has no file part'));
    });
    req.pipe(bb);
  });
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(tooLarge(maxBytes));
      else done(null, chunk);
    },
  });
}

function tooLarge(maxBytes: number): ProblemException {
  return new ProblemException(413, 'payload-too-large', `the upload is larger than the limit of ${maxBytes} bytes (RETORT_MAX_UPLOAD_MB)`);
}
