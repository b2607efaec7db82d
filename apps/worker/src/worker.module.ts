import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DataSource } from 'typeorm';
import { QueueName, redisOptionsFromUrl, type RetortConfig } from '@retort/contracts';
import { connectAndMigrate, createDataSource } from '@retort/db';
import { createArtifactStore } from '@retort/storage';
import { DatasetsProcessor } from './datasets.processor';
import { EvaluateProcessor } from './evaluate.processor';
import { GenerateProcessor } from './generate.processor';
import { TrainProcessor } from './train.processor';
import type { WorkerMetrics } from './metrics/worker-metrics';
import { ARTIFACT_STORE, CONFIG, METRICS } from './tokens';

const PROCESSORS = { [QueueName.datasets]: DatasetsProcessor, [QueueName.train]: TrainProcessor, [QueueName.generate]: GenerateProcessor, [QueueName.evaluate]: EvaluateProcessor };

@Module({})
export class WorkerModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  static forRoot(config: RetortConfig, queues: string[], metrics: WorkerMetrics): DynamicModule {
    if (!config.databaseUrl) throw new Error('DATABASE_URL is not set (`retort up` sets it for you)');
    const databaseUrl = config.databaseUrl;
    const unknown = queues.filter((q) => !(q in PROCESSORS));
    if (unknown.length) throw new Error(`unknown queue(s) ${unknown.join(', ')}; known: ${Object.keys(PROCESSORS).join(', ')}`);
    return {
      module: WorkerModule,
      imports: [
        BullModule.forRoot({ connection: { ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: null }, prefix: config.queuePrefix }),
        // Every queue can be added to (a generation run queues its output's import); only the
        // processors of the queues this worker consumes are created.
        ...Object.values(QueueName).map((name) => BullModule.registerQueue({ name })),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: METRICS, useValue: metrics },
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = createDataSource(databaseUrl, { applicationName: 'retort-worker', poolSize: 4 });
            await connectAndMigrate(ds);
            return ds;
          },
        },
        {
          provide: ARTIFACT_STORE,
          useFactory: async () => {
            const store = createArtifactStore({ s3: config.s3, fsRoot: config.artifactsDir });
            await store.ensureReady();
            return store;
          },
        },
        ...queues.map((q) => PROCESSORS[q as keyof typeof PROCESSORS]),
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
