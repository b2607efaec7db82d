import type { DataSource, EntityManager } from 'typeorm';
import { AdapterStageRepository } from './adapter-stage.repository';
import { AdapterRepository } from './adapter.repository';
import { ApiTokenRepository } from './api-token.repository';
import { AuditLogRepository } from './audit-log.repository';
import { BaseModelRepository } from './base-model.repository';
import { DatasetVersionRepository } from './dataset-version.repository';
import { DatasetRepository } from './dataset.repository';
import { DeploymentRepository } from './deployment.repository';
import { EndpointRepository } from './endpoint.repository';
import { GenerationResultRepository } from './generation-result.repository';
import { DatasetRecordRepository } from './record.repository';
import { RunRepository } from './run.repository';
import { ScheduleRepository } from './schedule.repository';

export interface RepositoryOptions {
  /** RETORT_SECRET_KEY: seals and opens endpoint API keys. */
  secretKey?: string;
}

/**
 * Every repository on one EntityManager: the DataSource's outside a transaction, the
 * transaction's inside `transaction`, so that what a change writes commits (or not) together.
 */
export class Repositories {
  readonly datasets: DatasetRepository;
  readonly datasetVersions: DatasetVersionRepository;
  readonly records: DatasetRecordRepository;
  readonly adapters: AdapterRepository;
  readonly adapterStages: AdapterStageRepository;
  readonly deployments: DeploymentRepository;
  readonly schedules: ScheduleRepository;
  readonly endpoints: EndpointRepository;
  readonly apiTokens: ApiTokenRepository;
  readonly audit: AuditLogRepository;
  readonly baseModels: BaseModelRepository;
  readonly generationResults: GenerationResultRepository;
  readonly runs: RunRepository;

  constructor(
    readonly manager: EntityManager,
    private readonly options: RepositoryOptions = {},
  ) {
    this.datasets = new DatasetRepository(manager);
    this.datasetVersions = new DatasetVersionRepository(manager);
    this.records = new DatasetRecordRepository(manager);
    this.adapters = new AdapterRepository(manager);
    this.adapterStages = new AdapterStageRepository(manager);
    this.deployments = new DeploymentRepository(manager);
    this.schedules = new ScheduleRepository(manager);
    this.endpoints = new EndpointRepository(manager, options.secretKey);
    this.apiTokens = new ApiTokenRepository(manager);
    this.audit = new AuditLogRepository(manager);
    this.baseModels = new BaseModelRepository(manager);
    this.generationResults = new GenerationResultRepository(manager);
    this.runs = new RunRepository(manager);
  }

  static of(ds: DataSource, options: RepositoryOptions = {}): Repositories {
    return new Repositories(ds.manager, options);
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.manager.transaction((m) => work(new Repositories(m, this.options)));
  }

  /** For health checks: resolves when the database answers. */
  async ping(): Promise<void> {
    await this.manager.query('SELECT 1');
  }
}
