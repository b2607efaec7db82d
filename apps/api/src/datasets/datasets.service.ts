import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Readable } from 'node:stream';
import { JobName, jobId, QueueName, type CreateDatasetDto } from '@retort/contracts';
import { createDatasetVersion, InvalidDatasetError, type StoredVersionArtifact, type ValidationLimits } from '@retort/datasets';
import { Repositories, type BaseModel, type Dataset, type DatasetLineage, type DatasetVersion } from '@retort/db';
import { tokenCounter } from '@retort/tokenizer';
import type { ArtifactStore } from '@retort/storage';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { idFilter, textFilter, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { ARTIFACT_STORE } from '../infra/tokens';

export type UploadOptions = Pick<ValidationLimits, 'format' | 'purpose' | 'maxTokens'> & { tokenizerModel?: BaseModel };

export type DatasetView = Dataset & { latestVersion: DatasetVersion | null };

@Injectable()
export class DatasetsService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(AuditService) private readonly audit: AuditService,
    @InjectQueue(QueueName.datasets) private readonly queue: Queue,
  ) {}

  async create(dto: CreateDatasetDto, who: Principal): Promise<Dataset> {
    return this.db.transaction(async (tx) => {
      if (await tx.datasets.findByName(dto.name)) throw new ProblemException(409, 'conflict', `a dataset named "${dto.name}" already exists`);
      const dataset = await tx.datasets.create(dto);
      await this.audit.record(who, 'dataset.create', { type: 'dataset', id: dataset.id }, { name: dataset.name }, tx);
      return dataset;
    });
  }

  async list(q: ListQuery): Promise<[DatasetView[], number]> {
    const [items, total] = await this.db.datasets.list({ ids: idFilter(q), name: textFilter(q, 'name'), nameContains: textFilter(q, 'q') }, q);
    const latest = await this.db.datasetVersions.latestOf(items.map((d) => d.id));
    return [items.map((d) => ({ ...d, latestVersion: latest.get(d.id) ?? null })), total];
  }

  async get(id: string): Promise<DatasetView & { versions: DatasetVersion[] }> {
    const dataset = await this.db.datasets.findById(id);
    if (!dataset) throw new NotFoundException(`dataset ${id} does not exist`);
    const versions = await this.db.datasetVersions.ofDataset(id);
    return { ...dataset, latestVersion: versions[0] ?? null, versions };
  }

  async getVersion(id: string): Promise<DatasetVersion> {
    const version = await this.db.datasetVersions.findById(id);
    if (!version) throw new NotFoundException(`dataset version ${id} does not exist`);
    return version;
  }

  /** A version whose records and artifact can be used: 404 when missing, 409 while not ready. */
  async getReadyVersion(id: string, why: string): Promise<DatasetVersion> {
    const version = await this.getVersion(id);
    if (version.status !== 'ready') throw new ProblemException(409, 'version-not-ready', `dataset version ${id} is ${version.status}; ${why}`);
    return version;
  }

  listVersions(q: ListQuery): Promise<[DatasetVersion[], number]> {
    return this.db.datasetVersions.list({ datasetId: textFilter(q, 'datasetId'), status: textFilter(q, 'status'), ids: idFilter(q) }, q);
  }

  /** A new version from a JSONL source (see createDatasetVersion); 422 naming every bad line. */
  async createVersion(datasetId: string, source: Readable, who: Principal, lineage: DatasetLineage, options: UploadOptions = {}): Promise<DatasetVersion> {
    await this.get(datasetId);
    const { tokenizerModel, ...limits } = options;
    const countTokens = tokenizerModel ? this.counterFor(tokenizerModel) : undefined;
    const draft = { datasetId, lineage, purpose: limits.purpose ?? null, tokenizerModelId: tokenizerModel?.id ?? null };
    const deps = {
      store: this.store,
      save: (artifact: StoredVersionArtifact) => this.db.datasetVersions.createNext({ ...draft, ...artifact }, { name: who.name, tokenId: who.tokenId }),
      enqueueImport: async (version: DatasetVersion) => {
        const payload = { versionId: version.id };
        await this.queue.add(JobName.datasetImport, payload, { jobId: jobId(JobName.datasetImport, payload), attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 1000 });
      },
    };
    try {
      return await createDatasetVersion(deps, datasetId, source, { ...limits, countTokens });
    } catch (err) {
      if (err instanceof InvalidDatasetError) throw new ProblemException(422, 'invalid-dataset', err.message, { errors: err.errors, totalErrors: err.totalErrors });
      throw err;
    }
  }

  private counterFor(model: BaseModel): (text: string) => number {
    if (!model.hasTokenizer) throw new ProblemException(400, 'validation', `model "${model.name}" has no tokenizer.json`, { errors: [{ path: 'model', message: 'no tokenizer' }] });
    return tokenCounter(model.path);
  }

  async exportStream(versionId: string): Promise<{ version: DatasetVersion; stream: Readable }> {
    const version = await this.getVersion(versionId);
    return { version, stream: await this.store.get(version.artifactKey) };
  }
}
