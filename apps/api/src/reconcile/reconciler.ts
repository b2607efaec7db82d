import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { RetortConfig } from '@retort/contracts';
import { CONFIG } from '../infra/tokens';
import { RunsService } from '../runs/runs.service';
import { SchedulesService } from '../schedules/schedules.service';

/**
 * Postgres is the record of what should be happening; Redis only of what is queued. When Redis
 * comes back empty (flushed, restarted without persistence, replaced), this puts back the jobs of
 * unfinished runs and the schedules' job schedulers: once when the api starts, then periodically.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('reconcile');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(SchedulesService) private readonly schedules: SchedulesService,
    @Inject(CONFIG) private readonly config: RetortConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.once();
    this.timer = setInterval(() => void this.once(), this.config.reconcileMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass (a pass still going is not started again); failures are logged, and the next pass tries again. */
  once(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      const runs = await this.runs.reconcile();
      if (runs.length) this.log.warn(`re-enqueued ${runs.length} run(s) that Redis no longer held: ${runs.join(', ')}`);
      const schedules = await this.schedules.reconcile();
      if (schedules.length) this.log.warn(`registered again the job schedulers of ${schedules.join(', ')}`);
    } catch (err) {
      this.log.warn(`reconciliation failed: ${(err as Error).message}`);
    }
  }
}
