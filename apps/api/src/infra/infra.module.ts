import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DataSource } from 'typeorm';
import { FlowName, QueueName, redisOptionsFromUrl, type RetortConfig } from '@retort/contracts';
import { connectAndMigrate, createDataSource, Repositories } from '@retort/db';
import { createArtifactStore } from '@retort/storage';
import { ARTIFACT_STORE, CONFIG } from './tokens';

/** Config, the one DataSource (migrated on start) and its repositories, the artifact store and the queues. */
@Global()
@Module({})
export class InfraModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  static forRoot(config: RetortConfig): DynamicModule {
    if (!config.databaseUrl) {
      throw new Error('DATABASE_URL is not set (`retort up` starts an embedded Postgres and sets it for you)');
    }
    const databaseUrl = config.databaseUrl;
    return {
      module: InfraModule,
      imports: [
        // maxRetriesPerRequest null: the api also runs BullMQ workers (schedules, registry), which need it.
        BullModule.forRoot({ connection: { ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: null }, prefix: config.queuePrefix }),
        ...Object.values(QueueName).map((name) => BullModule.registerQueue({ name })),
        BullModule.registerFlowProducer({ name: FlowName.pipelines }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = createDataSource(databaseUrl, { applicationName: 'retort-api' });
            await connectAndMigrate(ds);
            return ds;
          },
        },
        { provide: Repositories, useFactory: (ds: DataSource) => Repositories.of(ds, { secretKey: config.secretKey }), inject: [DataSource] },
        {
          provide: ARTIFACT_STORE,
          useFactory: async () => {
            const store = createArtifactStore({ s3: config.s3, fsRoot: config.artifactsDir });
            await store.ensureReady();
            return store;
          },
        },
      ],
      exports: [CONFIG, DataSource, Repositories, ARTIFACT_STORE, BullModule],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
