import { Readable } from 'node:stream';
import { ArtifactNotFoundError, InvalidArtifactKeyError, type ArtifactStore } from '../src';
import { pseudoRandomBytes, sha256, streamDestroyedAfter, streamFailingAfter, streamOf } from './test-data';

export interface ContractTarget {
  store(): ArtifactStore;
  /** Temp files that a put should have removed (partial files, spool files). */
  leftovers(): Promise<string[]>;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What every ArtifactStore promises; each store's spec runs it against a real backend. */
export function artifactStoreContract(target: ContractTarget): void {
  let store: ArtifactStore;
  let ns: string;
  let caseNo = 0;
  beforeEach(() => {
    store = target.store();
    ns = `case-${++caseNo}/`;
  });
  afterEach(async () => {
    expect(await target.leftovers()).toEqual([]);
  });

  it('round-trips a multi-megabyte stream with its size and sha256', async () => {
    const data = pseudoRandomBytes(12 * 1024 * 1024 + 123);
    const key = `${ns}model/adapter_model.safetensors`;
    const put = await store.put(key, streamOf(data), { contentType: 'application/octet-stream' });
    expect(put).toEqual({ key, size: data.length, sha256: sha256(data), uri: store.uri(key) });

    const stat = await store.stat(key);
    expect(stat?.size).toBe(data.length);
    if (stat?.sha256 !== undefined) expect(stat.sha256).toBe(sha256(data));

    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(key)) chunks.push(chunk);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    expect((await store.getBuffer(key)).equals(data)).toBe(true);
  });

  it('stores strings, Buffers and empty bodies', async () => {
    expect(await store.put(`${ns}a.txt`, 'héllo\n')).toMatchObject({ size: 7, sha256: sha256('héllo\n') });
    expect((await store.getBuffer(`${ns}a.txt`)).toString('utf8')).toBe('héllo\n');

    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(await store.put(`${ns}b.bin`, bytes)).toMatchObject({ size: 4, sha256: sha256(bytes) });
    expect(await store.getBuffer(`${ns}b.bin`)).toEqual(bytes);

    expect(await store.put(`${ns}empty`, Readable.from([]))).toMatchObject({ size: 0, sha256: EMPTY_SHA256 });
    expect(await store.stat(`${ns}empty`)).toMatchObject({ size: 0 });
    expect(await store.getBuffer(`${ns}empty`)).toEqual(Buffer.alloc(0));
  });

  it('overwrites an existing key', async () => {
    const key = `${ns}data.jsonl`;
    await store.put(key, 'first version, longer than the second\n');
    const second = await store.put(key, 'second\n');
    expect(second).toMatchObject({ size: 7, sha256: sha256('second\n') });
    expect((await store.getBuffer(key)).toString()).toBe('second\n');
    expect(await store.stat(key)).toMatchObject({ size: 7 });
    expect(await store.list(ns)).toEqual([key]);
  });

  it('leaves nothing behind when the source stream errors midway', async () => {
    const key = `${ns}broken.bin`;
    await expect(store.put(key, streamFailingAfter(3 * 1024 * 1024, new Error('upload connection dropped')))).rejects.toThrow(
      'upload connection dropped',
    );
    expect(await store.exists(key)).toBe(false);
    expect(await store.list(ns)).toEqual([]);
  });

  it('keeps the previous object when an overwrite fails midway', async () => {
    const key = `${ns}kept.bin`;
    await store.put(key, 'good');
    await expect(store.put(key, streamFailingAfter(1024 * 1024, new Error('disk on fire')))).rejects.toThrow('disk on fire');
    expect((await store.getBuffer(key)).toString()).toBe('good');
  });

  it('leaves nothing behind when the source is destroyed before its end', async () => {
    const key = `${ns}aborted.bin`;
    await expect(store.put(key, streamDestroyedAfter(512 * 1024))).rejects.toThrow();
    expect(await store.exists(key)).toBe(false);
  });

  it('reports a missing key', async () => {
    const key = `${ns}missing.bin`;
    const err = await store.get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect(err).toMatchObject({ key, uri: store.uri(key) });
    await expect(store.getBuffer(key)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(await store.stat(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);
  });

  it('treats a "directory" of other keys as a missing key', async () => {
    await store.put(`${ns}dir/inner`, 'x');
    await expect(store.get(`${ns}dir`)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(await store.stat(`${ns}dir`)).toBeNull();
    await store.delete(`${ns}dir`);
    expect(await store.exists(`${ns}dir/inner`)).toBe(true);
  });

  it('deletes, and deleting again is not an error', async () => {
    const key = `${ns}to-delete`;
    await store.put(key, 'bye');
    expect(await store.exists(key)).toBe(true);
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
    expect(await store.list(ns)).toEqual([]);
    await expect(store.delete(key)).resolves.toBeUndefined();
  });

  it('lists keys by plain string prefix, sorted', async () => {
    const keys = ['runs/2/ckpt', 'runs/1/b', 'runs/1/a', 'runs/10/a', 'runsheet', 'other/x'].map((k) => ns + k);
    for (const key of keys) await store.put(key, key);
    expect(await store.list(`${ns}runs/1/`)).toEqual([`${ns}runs/1/a`, `${ns}runs/1/b`]);
    expect(await store.list(`${ns}runs/1`)).toEqual([`${ns}runs/1/a`, `${ns}runs/1/b`, `${ns}runs/10/a`]);
    expect(await store.list(`${ns}runs`)).toEqual([`${ns}runs/1/a`, `${ns}runs/1/b`, `${ns}runs/10/a`, `${ns}runs/2/ckpt`, `${ns}runsheet`]);
    expect(await store.list(ns)).toEqual([...keys].sort());
    expect(await store.list(`${ns}nothing/`)).toEqual([]);
    expect(await store.list('')).toEqual(expect.arrayContaining(keys));
  });

  it.each([
    ['that is empty', ''],
    ['that is absolute', '/etc/passwd'],
    ['with a ".." segment', '../escape'],
    ['that climbs out of a folder', 'a/../../b'],
    ['with a "." segment', 'a/./b'],
    ['with an empty segment', 'a//b'],
    ['with a trailing slash', 'a/'],
    ['with a backslash', 'a\\b'],
    ['with a NUL', 'a\u0000b'],
    ['over 1024 bytes', 'x'.repeat(1025)],
  ])('refuses a key %s in every operation', async (_rule, key) => {
    await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    await expect(store.get(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    expect(() => store.uri(key)).toThrow(InvalidArtifactKeyError);
  });

  it('refuses list prefixes that climb out or double slashes', async () => {
    for (const prefix of ['../', '/abs', 'a//', 'a/../']) {
      await expect(store.list(prefix)).rejects.toBeInstanceOf(InvalidArtifactKeyError);
    }
  });

  it('passes check() once ready', async () => {
    await store.ensureReady();
    await expect(store.check()).resolves.toBeUndefined();
  });
}
