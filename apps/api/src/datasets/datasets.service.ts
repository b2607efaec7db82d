import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Readable } from 'node:stream';
import { DataSource, ILike, In } from 'typeorm';
import { JobName, jobId, QueueName, type CreateDatasetDto, type RetortConfig } from '@retort/contracts';
import { InvalidDatasetError, type ValidationLimits } from '@retort/datasets';
import { createDatasetVersion, Dataset, DatasetVersion, type BaseModel, type DatasetLineage } from '@retort/db';
import { tokenCounter } from '@retort/tokenizer';
import type { ArtifactStore } from '@retort/storage';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { filterIds, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { ARTIFACT_STORE, CONFIG } from '../infra/tokens';

export type UploadOptions = Pick<ValidationLimits, 'format' | 'purpose' | 'maxTokens'> & { tokenizerModel?: BaseModel };

export type DatasetView = Dataset & { latestVersion: DatasetVersion | null };

@Injectable()
export class DatasetsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @Inject(AuditService) private readonly audit: AuditService,
    @InjectQueue(QueueName.datasets) private readonly queue: Queue,
  ) {}

  async create(dto: CreateDatasetDto, who: Principal): Promise<Dataset> {
    return this.ds.transaction(async (m) => {
      const existing = await m.getRepository(Dataset).findOneBy({ name: dto.name });
      if (existing) throw new ProblemException(409, 'conflict', `a dataset named "${dto.name}" already exists`);
      const dataset = await m.getRepository(Dataset).save(m.getRepository(Dataset).create(dto));
      await this.audit.record(who, 'dataset.create', { type: 'dataset', id: dataset.id }, { name: dataset.name }, m);
      return dataset;
    });
  }

  async list(q: ListQuery): Promise<[DatasetView[], number]> {
    const where: Record<string, unknown> = {};
    if (Array.isArray(q.filter.id)) where.id = In(filterIds(q));
    if (typeof q.filter.name === 'string') where.name = q.filter.name;
    if (typeof q.filter.q === 'string' && q.filter.q) where.name = ILike(`%${q.filter.q.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    const [items, total] = await this.ds.getRepository(Dataset).findAndCount({ where, order: { [q.sort.field]: q.sort.order }, skip: q.skip, take: q.take });
    const latest = await this.latestVersions(items.map((d) => d.id));
    return [items.map((d) => ({ ...d, latestVersion: latest.get(d.id) ?? null })), total];
  }

  async get(id: string): Promise<DatasetView & { versions: DatasetVersion[] }> {
    const dataset = await this.ds.getRepository(Dataset).findOneBy({ id });
    if (!dataset) throw new NotFoundException(`dataset ${id} does not exist`);
    const versions = await this.ds.getRepository(DatasetVersion).find({ where: { datasetId: id }, order: { version: 'DESC' } });
    return { ...dataset, latestVersion: versions[0] ?? null, versions };
  }

  async getVersion(id: string): Promise<DatasetVersion> {
    const version = await this.ds.getRepository(DatasetVersion).findOneBy({ id });
    if (!version) throw new NotFoundException(`dataset version ${id} does not exist`);
    return version;
  }

  /** A version whose records and artifact can be used: 404 when missing, 409 while not ready. */
  async getReadyVersion(id: string, why: string): Promise<DatasetVersion> {
    const version = await this.getVersion(id);
    if (version.status !== 'ready') throw new ProblemException(409, 'version-not-ready', `dataset version ${id} is ${version.status}; ${why}`);
    return version;
  }

  async listVersions(q: ListQuery): Promise<[DatasetVersion[], number]> {
    const where: Record<string, unknown> = {};
    if (typeof q.filter.datasetId === 'string') where.datasetId = q.filter.datasetId;
    if (typeof q.filter.status === 'string') where.status = q.filter.status;
    if (Array.isArray(q.filter.id)) where.id = In(filterIds(q));
    return this.ds.getRepository(DatasetVersion).findAndCount({ where, order: { [q.sort.field]: q.sort.order }, skip: q.skip, take: q.take });
  }

  /** A new version from a JSONL source (see createDatasetVersion); 422 naming every bad line. */
  async createVersion(datasetId: string, source: Readable, who: Principal, lineage: DatasetLineage, options: UploadOptions = {}): Promise<DatasetVersion> {
    await this.get(datasetId);
    const deps = {
      ds: this.ds,
      store: this.store,
      enqueueImport: async (versionId: string) => {
        const payload = { versionId };
        await this.queue.add(JobName.datasetImport, payload, { jobId: jobId(JobName.datasetImport, payload), attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 1000 });
      },
    };
    const { tokenizerModel, ...rest } = options;
    try {
      return await createDatasetVersion(deps, datasetId, source, { name: who.name, tokenId: who.tokenId }, lineage, {
        ...rest,
        countTokens: tokenizerModel ? this.counterFor(tokenizerModel) : undefined,
        tokenizerModelId: tokenizerModel?.id ?? null,
      });
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

  private async latestVersions(datasetIds: string[]): Promise<Map<string, DatasetVersion>> {
    if (datasetIds.length === 0) return new Map();
    const rows = await this.ds
      .getRepository(DatasetVersion)
      .createQueryBuilder('v')
      .distinctOn(['v.dataset_id'])
      .where('v.dataset_id IN (:...ids)', { ids: datasetIds })
      .orderBy('v.dataset_id')
      .addOrderBy('v.version', 'DESC')
      .getMany();
    return new Map(rows.map((v) => [v.datasetId, v]));
  }
}
