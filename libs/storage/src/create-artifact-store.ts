import type { ArtifactStore } from './artifact-store';
import { FsArtifactStore } from './fs-artifact-store';
import { S3ArtifactStore } from './s3-artifact-store';

export interface S3StoreConfig {
  /** Base URL of the S3 API, e.g. http://127.0.0.1:9000 (MinIO) or https://s3.eu-west-1.amazonaws.com. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
  pathStyle?: boolean;
}

export interface ArtifactStoreConfig {
  s3?: S3StoreConfig;
  fsRoot: string;
}

/** The S3 store when S3 is configured, otherwise files under fsRoot. */
export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  if (!config.s3) return new FsArtifactStore(config.fsRoot);
  const { endpoint, ...rest } = config.s3;
  return new S3ArtifactStore({ ...parseS3Endpoint(endpoint), ...rest });
}

export function parseS3Endpoint(endpoint: string): { endPoint: string; port: number; useSSL: boolean } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`S3 endpoint ${JSON.stringify(endpoint)} is not a URL (expected e.g. http://127.0.0.1:9000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`S3 endpoint ${JSON.stringify(endpoint)} must use http or https`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username || url.password) {
    throw new Error(`S3 endpoint ${JSON.stringify(endpoint)} must be scheme://host[:port] only (no path, query or credentials)`);
  }
  const useSSL = url.protocol === 'https:';
  return { endPoint: url.hostname, port: url.port ? Number(url.port) : useSSL ? 443 : 80, useSSL };
}
