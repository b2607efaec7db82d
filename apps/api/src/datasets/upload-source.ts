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
    return Promise.resolve({ stream: forwardFailures(req, req.pipe(byteLimit(maxBytes))) });
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
      const limited = forwardFailures(req, byteLimit(maxBytes));
      file.on('limit', () => limited.destroy(tooLarge(maxBytes)));
      // pipe() does not forward errors: a truncated form errors the file stream, and that must
      // fail the upload (and so remove its partial artifact), not go unhandled and end the process.
      file.on('error', (err) => limited.destroy(badMultipart(err)));
      resolve({ stream: file.pipe(limited), filename: info.filename });
    });
    bb.on('error', (err) => reject(badMultipart(err)));
    bb.on('finish', () => {
      if (!found) reject(new ProblemException(400, 'bad-request', 'the multipart body has no file part'));
    });
    req.pipe(bb);
  });
}

/**
 * The upload stream `out` fails when the request itself fails or is aborted before its end, so that
 * whoever consumes it stops and cleans up instead of waiting for data that never comes.
 */
function forwardFailures(req: Request, out: Transform): Transform {
  let ended = false;
  req.on('end', () => (ended = true));
  const fail = () => {
    if (!ended && !out.destroyed) out.destroy(new ProblemException(400, 'bad-request', 'the upload was aborted before its end'));
  };
  req.on('error', fail);
  req.on('close', fail);
  // The consumer may start reading only after a database round trip; until then an error must not
  // count as unhandled. Reading a stream that has errored still rejects with that error.
  out.on('error', () => undefined);
  return out;
}

function badMultipart(err: unknown): ProblemException {
  return new ProblemException(400, 'bad-request', `invalid multipart body: ${(err as Error).message}`);
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
