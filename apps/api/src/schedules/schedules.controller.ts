import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CreateScheduleSchema, UpdateScheduleSchema } from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage } from '../common/list-query';
import { parseBody } from '../common/zod-body';
import { SchedulesService } from './schedules.service';

/** `:ref` is a schedule id or name. */
@ApiTags('schedules')
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(@Inject(SchedulesService) private readonly schedules: SchedulesService) {}

  @Get()
  @Needs('viewer')
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt', 'lastFiredAt'], { field: 'name', order: 'ASC' });
    const [items, total] = await this.schedules.list(q);
    return sendPage(res, 'schedules', q, items, total);
  }

  /** {name, cron (default monthly "0 3 1 * *"), timezone, template, gate, autoPromote, enabled}. */
  @Post()
  @Needs('operator')
  create(@Body() body: unknown, @Req() req: AuthedRequest) {
    return this.schedules.create(parseBody(CreateScheduleSchema, body), req.principal);
  }

  /** With the next five fire times and the recent ticks. */
  @Get(':ref')
  @Needs('viewer')
  show(@Param('ref') ref: string) {
    return this.schedules.show(ref);
  }

  /** Any field; {enabled: false} pauses, {enabled: true} resumes. */
  @Patch(':ref')
  @Needs('operator')
  async update(@Param('ref') ref: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    const s = await this.schedules.get(ref);
    return this.schedules.update(s.id, parseBody(UpdateScheduleSchema, body), req.principal);
  }

  /** Fire now (still skipped while the previous run is going). */
  @Post(':ref/trigger')
  @HttpCode(202)
  @Needs('operator')
  trigger(@Param('ref') ref: string, @Req() req: AuthedRequest) {
    return this.schedules.trigger(ref, req.principal);
  }

  @Delete(':ref')
  @HttpCode(204)
  @Needs('operator')
  async remove(@Param('ref') ref: string, @Req() req: AuthedRequest) {
    const s = await this.schedules.get(ref);
    await this.schedules.remove(s.id, req.principal);
  }
}
