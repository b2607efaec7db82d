import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CheckpointResponseSchema, CreateRunSchema, isBigintId, RunEventResponseSchema, RunResponseSchema, type CreateRunDto } from '@retort/contracts';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { ID_LIST, parseListQuery, sendPage, TEXT_FILTER, UUID_FILTER } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { RunEventStream } from './run-event-stream';
import { RunsService } from './runs.service';

@ApiTags('runs')
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    @Inject(RunsService) private readonly runs: RunsService,
    @Inject(RunEventStream) private readonly eventStream: RunEventStream,
  ) {}

  /** {kind: "train", baseModel, datasetVersions, adapter, hyperparameters, ...}: 202 with the queued run. */
  @Post()
  @HttpCode(202)
  @Needs('operator')
  @ApiZodResponse(202, RunResponseSchema, 'the queued run (for a pipeline: the pipeline run)')
  create(@ZodBody(CreateRunSchema) dto: CreateRunDto, @Req() req: AuthedRequest) {
    return this.runs.create(dto, req.principal);
  }

  @Get()
  @Needs('viewer')
  @ApiZodList(RunResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['createdAt', 'status', 'kind'], { field: 'createdAt', order: 'DESC' }, { id: ID_LIST, kind: TEXT_FILTER, status: TEXT_FILTER, parentId: UUID_FILTER.or(z.null()) });
    const [items, total] = await this.runs.list(q);
    return sendPage(res, 'runs', q, items, total);
  }

  @Get(':id')
  @Needs('viewer')
  @ApiZodResponse(200, RunResponseSchema)
  show(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.runs.get(id);
  }

  /** Events after ?after=<event id>, oldest first (the loss curve is the "metrics" events). */
  @Get(':id/events')
  @Needs('viewer')
  @ApiZodResponse(200, z.array(RunEventResponseSchema))
  events(@Param('id', new ParseUUIDPipe()) id: string, @Query('after') after?: string) {
    return this.runs.events(id, eventCursor(after));
  }

  /** The same as server-sent events, until the run finishes; resumes after Last-Event-ID (or ?after=). */
  @Get(':id/events/stream')
  @Needs('viewer')
  async stream(@Param('id', new ParseUUIDPipe()) id: string, @Query('after') after: string | undefined, @Req() req: AuthedRequest, @Res() res: Response) {
    await this.eventStream.pipe(id, eventCursor(req.get('last-event-id') ?? after), req, res);
  }

  @Get(':id/checkpoints')
  @Needs('viewer')
  @ApiZodResponse(200, z.array(CheckpointResponseSchema))
  checkpoints(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.runs.checkpoints(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Needs('operator')
  @ApiZodResponse(200, RunResponseSchema)
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest) {
    return this.runs.cancel(id, req.principal);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @Needs('operator')
  @ApiZodResponse(200, RunResponseSchema)
  retry(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest) {
    return this.runs.retry(id, req.principal);
  }
}

/** `?after=`: an event id (absent means from the start); anything else is refused, naming the field. */
function eventCursor(after: unknown): string {
  if (after === undefined || after === '') return '0';
  if (typeof after === 'string' && isBigintId(after)) return after;
  throw new ProblemException(400, 'validation', 'after must be an event id', { errors: [{ path: 'after', message: 'must be a whole number from 0 to 9223372036854775807' }] });
}
