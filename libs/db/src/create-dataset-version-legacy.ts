import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { createDatasetVersion as createVersion, type CreateVersionOptions } from '@retort/datasets';
import type { ArtifactStore } from '@retort/storage';
import type { DatasetLineage, DatasetVersion } from './entities';
import { DatasetVersionRepository } from './repositories/dataset-version.repository';

export interface CreateVersionDeps {
  ds: DataSource;
  store: ArtifactStore;
  enqueueImport: (versionId: string) => Promise<void>;
}

/**
 * @deprecated The workflow lives in @retort/datasets (`createDatasetVersion`, saving through
 * `DatasetVersionRepository.createNext`). This adapter keeps jobs/generate compiling until it
 * calls that itself; delete it then, and with it db's dependency on datasets and storage.
 */
export function createDatasetVersion(
  deps: CreateVersionDeps,
  datasetId: string,
  source: Readable,
  actor: { name: string; tokenId: string | null },
  lineage: DatasetLineage,
  options: CreateVersionOptions & { tokenizerModelId?: string | null } = {},
): Promise<DatasetVersion> {
  const { tokenizerModelId, ...limits } = options;
  const versions = new DatasetVersionRepository(deps.ds.manager);
  return createVersion(
    {
      store: deps.store,
      save: (artifact) => versions.createNext({ ...artifact, datasetId, lineage, purpose: limits.purpose ?? null, tokenizerModelId: tokenizerModelId ?? null }, actor),
      enqueueImport: (version) => deps.enqueueImport(version.id),
    },
    datasetId,
    source,
    limits,
  );
}
