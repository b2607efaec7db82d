import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactStore, FsArtifactStore, parseS3Endpoint, S3ArtifactStore } from '../src';
import { startS3rver, type RunningS3rver } from './s3rver';

describe('createArtifactStore', () => {
  const fsRoot = join(tmpdir(), 'retort-factory-never-created');

  it('uses the filesystem when S3 is not configured', () => {
    const store = createArtifactStore({ fsRoot });
    expect(store).toBeInstanceOf(FsArtifactStore);
    expect(store.kind).toBe('fs');
    expect(store.uri('a/b')).toBe(`file://${fsRoot}/a/b`);
  });

  describe('with S3 configured', () => {
    let server: RunningS3rver;
    beforeAll(async () => {
      server = await startS3rver();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('talks to the endpoint URL it was given', async () => {
      const store = createArtifactStore({
        fsRoot,
        s3: { endpoint: `http://127.0.0.1:${server.port}`, accessKey: server.accessKey, secretKey: server.secretKey, bucket: 'factory', region: 'us-east-1' },
      });
      expect(store).toBeInstanceOf(S3ArtifactStore);
      expect(store.kind).toBe('s3');
      await store.ensureReady();
      await store.check();
      await store.put('hello.txt', 'hi');
      expect((await store.getBuffer('hello.txt')).toString()).toBe('hi');
      expect(store.uri('hello.txt')).toBe('s3://factory/hello.txt');
    });
  });
});

describe('parseS3Endpoint', () => {
  it.each([
    ['http://127.0.0.1:9000', { endPoint: '127.0.0.1', port: 9000, useSSL: false }],
    ['http://minio', { endPoint: 'minio', port: 80, useSSL: false }],
    ['https://s3.eu-west-1.amazonaws.com', { endPoint: 's3.eu-west-1.amazonaws.com', port: 443, useSSL: true }],
    ['https://storage.example.com:8443/', { endPoint: 'storage.example.com', port: 8443, useSSL: true }],
  ])('%s', (endpoint, expected) => {
    expect(parseS3Endpoint(endpoint)).toEqual(expected);
  });

  it.each([
    ['127.0.0.1:9000', 'is not a URL'],
    ['ftp://host', 'must use http or https'],
    ['http://host:9000/bucket', 'must be scheme://host[:port] only'],
    ['http://user:pw@host', 'must be scheme://host[:port] only'],
  ])('refuses %s', (endpoint, message) => {
    expect(() => parseS3Endpoint(endpoint)).toThrow(message);
  });
});
