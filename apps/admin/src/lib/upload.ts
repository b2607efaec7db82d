import { problemError } from './problemError';
import { getToken } from './token';

export interface UploadOptions {
  contentType?: string;
  /** Called with the fraction of the body sent so far, 0..1 (null when the size is unknown). */
  onProgress?: (fraction: number | null) => void;
  signal?: AbortSignal;
  token?: () => string | null;
}

/**
 * POSTs a file as the raw request body with XMLHttpRequest (fetch has no upload progress) and
 * resolves with the parsed JSON of a 2xx answer; rejects with a problem HttpError otherwise.
 */
export function uploadFile(url: string, file: Blob, options: UploadOptions = {}): Promise<unknown> {
  const { contentType = 'application/octet-stream', onProgress, signal, token = getToken } = options;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    const value = token();
    if (value) xhr.setRequestHeader('Authorization', `Bearer ${value}`);

    xhr.upload.onprogress = (event) => onProgress?.(event.lengthComputable ? event.loaded / event.total : null);
    xhr.upload.onload = () => onProgress?.(1);
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // not JSON: keep null, the status text will do
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(problemError(xhr.status, xhr.statusText, body));
    };
    xhr.onerror = () => reject(problemError(0, '', null));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));

    if (signal) {
      if (signal.aborted) return reject(new DOMException('Upload cancelled', 'AbortError'));
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}
