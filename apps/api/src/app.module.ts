import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { RetortConfig } from '@retort/contracts';
import { AdaptersController } from './adapters/adapters.controller';
import { AdaptersService } from './adapters/adapters.service';
import { PromotionService } from './adapters/promotion.service';
import { RegistryProcessor } from './adapters/registry.processor';
import { SchedulesController } from './schedules/schedules.controller';
import { SchedulesProcessor } from './schedules/schedules.processor';
import { SchedulesService } from './schedules/schedules.service';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { AuthGuard } from './auth/auth.guard';
import { TokenService } from './auth/token.service';
import { TokensController } from './auth/tokens.controller';
import { ProblemFilter } from './common/problem.filter';
import { DatasetsController } from './datasets/datasets.controller';
import { DatasetsService } from './datasets/datasets.service';
import { EndpointsController } from './endpoints/endpoints.controller';
import { EndpointsService } from './endpoints/endpoints.service';
import { HealthController } from './health/health.controller';
import { WorkersController } from './workers/workers.controller';
import { WorkersService } from './workers/workers.service';
import { InfraModule } from './infra/infra.module';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { CurationService } from './records/curation.service';
import { PlaygroundController } from './playground/playground.controller';
import { RecordsController } from './records/records.controller';
import { RecordsService } from './records/records.service';
import { RunsController } from './runs/runs.controller';
import { Reconciler } from './reconcile/reconciler';
import { RunEventStream } from './runs/run-event-stream';
import { RunsService } from './runs/runs.service';

@Module({})
export class AppModule {
  static forRoot(config: RetortConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [InfraModule.forRoot(config)],
      controllers: [HealthController, MetricsController, TokensController, AuditController, DatasetsController, RecordsController, ModelsController, RunsController, EndpointsController, WorkersController, AdaptersController, SchedulesController, PlaygroundController],
      providers: [
        TokenService,
        AuditService,
        MetricsService,
        DatasetsService,
        RecordsService,
        ModelsService,
        RunsService,
        RunEventStream,
        Reconciler,
        EndpointsService,
        WorkersService,
        AdaptersService,
        PromotionService,
        SchedulesService,
        SchedulesProcessor,
        RegistryProcessor,
        CurationService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
    };
  }
}
