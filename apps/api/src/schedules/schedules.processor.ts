import { Inject, Logger } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { JOB_PAYLOAD_SCHEMA, JobName, QueueName } from '@retort/contracts';
import { SchedulesService } from './schedules.service';

/** Schedule ticks, consumed by the api processes (creating a run is api work). */
@Processor(QueueName.schedules, { concurrency: 1 })
export class SchedulesProcessor extends WorkerHost {
  private readonly log = new Logger('schedules');

  constructor(@Inject(SchedulesService) private readonly schedules: SchedulesService) {
    super();
  }

  async process(job: Job): Promise<unknown> {
    if (job.name !== JobName.scheduleFire) throw new Error(`the schedules queue has no job named ${job.name}`);
    const payload = JOB_PAYLOAD_SCHEMA[JobName.scheduleFire].parse(job.data);
    // A job scheduler's job id ends with the tick's time: repeat:<scheduler id>:<millis>.
    const millis = payload.manual ? Date.now() : Number(/:(\d+)$/.exec(job.id ?? '')?.[1] ?? job.timestamp);
    const result = await this.schedules.fire(payload.scheduleId, new Date(millis));
    if (result.skipped) this.log.log(`schedule ${payload.scheduleId}: tick skipped: ${result.skipped}`);
    return result;
  }
}
