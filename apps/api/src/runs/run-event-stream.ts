import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isFinishedRun, type RetortConfig } from '@retort/contracts';
import { CONFIG } from '../infra/tokens';
import { RunsService } from './runs.service';

const POLL_MS = 500;

/**
 * A run's events as server-sent events until the run finishes. Each event carries its id, so a
 * client that reconnects with Last-Event-ID gets only what it missed; a comment line keeps idle
 * connections (and the proxies between) open. On shutdown every open stream is closed at once,
 * so stopping the api does not wait for runs to end.
 */
@Injectable()
export class RunEventStream implements BeforeApplicationShutdown {
  private readonly open = new Set<AbortController>();

  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(CONFIG) private readonly config: RetortConfig,
  ) {}

  async pipe(runId: string, after: string, req: Request, res: Response): Promise<void> {
    await this.runs.get(runId);
    const stop = new AbortController();
    this.open.add(stop);
    req.on('close', () => stop.abort());
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    let lastWrite = Date.now();
    try {
      while (!stop.signal.aborted) {
        for (const e of await this.runs.events(runId, after)) {
          res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          after = e.id;
          lastWrite = Date.now();
        }
        const run = await this.runs.get(runId);
        if (isFinishedRun(run.status)) {
          res.write(`event: end\ndata: ${JSON.stringify({ status: run.status })}\n\n`);
          break;
        }
        if (Date.now() - lastWrite >= this.config.sseKeepAliveMs) {
          res.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await sleep(POLL_MS, stop.signal);
      }
    } finally {
      this.open.delete(stop);
      res.end();
    }
  }

  beforeApplicationShutdown(): void {
    for (const stop of this.open) stop.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
