import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsArtifactStore, InvalidArtifactKeyError } from '../src';
import { artifactStoreContract } from './store-contract';

describe('FsArtifactStore', () => {
  let root: string;
  let store: FsArtifactStore;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'retort-fs-store-'));
    store = new FsArtifactStore(join(root, 'artifacts'));
    await store.ensureReady();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const partialFiles = async () => {
    const files = await readdir(store.rootDir, { recursive: true });
    return files.filter((f) => f.endsWith('.partial'));
  };

  describe('contract', () => {
    artifactStoreContract({ store: () => store, leftovers: partialFiles });
  });

  it('keeps each key as a file under the root and names it with a file:// URI', async () => {
    const put = await store.put('datasets/7/train.jsonl', '{"a":1}\n');
    const path = join(store.rootDir, 'datasets', '7', 'train.jsonl');
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n');
    expect(put.uri).toBe(pathToFileURL(path).href);
    expect(put.uri.startsWith('file:///')).toBe(true);
  });

  it('hides partial files from list() and refuses keys that look like one', async () => {
    await writeFile(join(store.rootDir, '.orphan.bin.0123456789abcdef.partial'), 'crashed mid-put');
    try {
      expect(await store.list('.orphan')).toEqual([]);
      await expect(store.put('.orphan.bin.0123456789abcdef.partial', 'x')).rejects.toBeInstanceOf(InvalidArtifactKeyError);
      await store.put('.hidden-but-fine', 'x');
      expect(await store.list('.hidden')).toEqual(['.hidden-but-fine']);
    } finally {
      await rm(join(store.rootDir, '.orphan.bin.0123456789abcdef.partial'));
    }
  });

  it('check() fails until ensureReady() creates the root', async () => {
    const fresh = new FsArtifactStore(join(root, 'not-yet', 'artifacts'));
    await expect(fresh.check()).rejects.toThrow(/ENOENT/);
    await fresh.ensureReady();
    await expect(fresh.check()).resolves.toBeUndefined();
  });

  it('check() fails when the root is a file', async () => {
    await writeFile(join(root, 'a-file'), '');
    await expect(new FsArtifactStore(join(root, 'a-file')).check()).rejects.toThrow('is not a directory');
  });
});
