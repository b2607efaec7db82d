export type { ArtifactBody, ArtifactStat, ArtifactStore, PutOptions, PutResult } from './artifact-store';
export { ArtifactNotFoundError, InvalidArtifactKeyError } from './errors';
export { validateKey, MAX_KEY_BYTES } from './key';
export { FsArtifactStore } from './fs-artifact-store';
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store';
export { createArtifactStore, parseS3Endpoint, type ArtifactStoreConfig, type S3StoreConfig } from './create-artifact-store';
