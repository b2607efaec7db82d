import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { ArtifactBody, ArtifactStat, ArtifactStore, PutResult } from './artifact-store';
import { bodyChunks, ContentDigest, readAll } from './body';
import { ArtifactNotFoundError, InvalidArtifactKeyError } from './errors';
import { isErrno, writeFully } from './file-io';
import { compareKeys, validateKey, validatePrefix } from './key';

/** In-flight (or crash-orphaned) puts live next to their target under this name; list() hides them. */
const PARTIAL_FILE = /^\..+\.[0-9a-f]{16}\.partial$/;

/** Artifacts as plain files under rootDir, the key's segments as directories. */
export class FsArtifactStore implements ArtifactStore {
  readonly kind = 'fs' as const;
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async put(key: string, body: ArtifactBody): Promise<PutResult> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.partial`);
    const digest = new ContentDigest();
    try {
      const fh = await open(partial, 'wx', 0o644);
      try {
        for await (const chunk of bodyChunks(body)) {
          digest.update(chunk);
          await writeFully(fh, chunk);
        }
        // Without the fsync a crash right after rename could leave a renamed but empty file.
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(partial, path);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return { key, size: digest.size, sha256: digest.hex(), uri: this.uri(key) };
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw isErrno(err, 'ENOENT', 'ENOTDIR') ? this.notFound(key) : err;
    });
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      throw this.notFound(key);
    }
    return fh.createReadStream();
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    try {
      const st = await stat(this.pathOf(key));
      return st.isFile() ? { size: st.size } : null;
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
      // A directory (EISDIR on Linux, EPERM on macOS) holds other keys; there is no object to delete.
      if (isErrno(err, 'EISDIR', 'EPERM') && (await stat(path)).isDirectory()) return;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    const keys: string[] = [];
    await this.walk(prefix.slice(0, cut), prefix.slice(cut), keys);
    return keys.sort(compareKeys);
  }

  uri(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async check(): Promise<void> {
    const st = await stat(this.rootDir);
    if (!st.isDirectory()) throw new Error(`artifact root ${this.rootDir} is not a directory`);
    await access(this.rootDir, constants.R_OK | constants.W_OK);
  }

  async ensureReady(): Promise<void> {
    await mkdir(this.rootDir, { recursive: true });
  }

  private pathOf(key: string): string {
    validateKey(key);
    if (PARTIAL_FILE.test(key.slice(key.lastIndexOf('/') + 1))) {
      throw new InvalidArtifactKeyError(key, 'must not look like a partial upload (".<name>.<16 hex>.partial")');
    }
    return join(this.rootDir, ...key.split('/'));
  }

  /** Collects file keys under dirKey ('' or ending in '/') whose first remaining segment starts with namePrefix. */
  private async walk(dirKey: string, namePrefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(join(this.rootDir, ...dirKey.split('/')), { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix)) continue;
      if (entry.isDirectory()) await this.walk(`${dirKey}${entry.name}/`, '', out);
      else if (entry.isFile() && !PARTIAL_FILE.test(entry.name)) out.push(dirKey + entry.name);
    }
  }

  private notFound(key: string): ArtifactNotFoundError {
    return new ArtifactNotFoundError(key, this.uri(key));
  }
}
