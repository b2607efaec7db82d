import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { QueueName, WorkersResponseSchema, workerPools } from '@retort/contracts';
import { Needs } from '../auth/roles.decorator';
import { ApiZodResponse } from '../common/zod-openapi';
import { WorkersService } from './workers.service';

@ApiTags('workers')
@Controller('api/v1/workers')
export class WorkersController {
  constructor(@Inject(WorkersService) private readonly workers: WorkersService) {}

  /** Live workers and, for training, their pools (same backend and memory). */
  @Get()
  @Needs('viewer')
  @ApiZodResponse(200, WorkersResponseSchema)
  async list() {
    const workers = await this.workers.list();
    return { workers, trainPools: workerPools(workers, QueueName.train) };
  }
}
