import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AnalyzeSchema, BulkRecordsSchema, SplitSchema, UpdateRecordSchema } from '@retort/contracts';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage } from '../common/list-query';
import { parseBody } from '../common/zod-body';
import { CurationService } from './curation.service';
import { RecordsService } from './records.service';

@ApiTags('curation')
@Controller('api/v1')
export class RecordsController {
  constructor(
    @Inject(RecordsService) private readonly records: RecordsService,
    @Inject(CurationService) private readonly curation: CurationService,
  ) {}

  /** filter: {status, tag, q (text), minChars, maxChars, edited, id: [...]} */
  @Get('dataset-versions/:id/records')
  @Needs('viewer')
  async list(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['id', 'idx', 'chars', 'status', 'tokenCount'], { field: 'idx', order: 'ASC' });
    const [items, total] = await this.records.list(id, q);
    return sendPage(res, 'records', q, items, total);
  }

  @Get('records/:id')
  @Needs('viewer')
  show(@Param('id') id: string) {
    return this.records.get(id);
  }

  /** Accept, reject, tag or edit one record. */
  @Patch('records/:id')
  @Needs('operator')
  update(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    return this.records.update(id, parseBody(UpdateRecordSchema, body), req.principal);
  }

  /** The same for every record matching a filter: {filter, status?, addTags?, removeTags?}. */
  @Post('dataset-versions/:id/records/bulk')
  @Needs('operator')
  bulk(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    return this.records.bulk(id, parseBody(BulkRecordsSchema, body), req.principal);
  }

  /** Seeded train/eval split: tags each record not rejected split:train or split:eval. */
  @Post('dataset-versions/:id/split')
  @Needs('operator')
  split(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    return this.records.split(id, parseBody(SplitSchema, body), req.principal);
  }

  /** Queue dedup ({dedup: {threshold}}) and/or PII scrubbing ({pii: true}) on the worker. */
  @Post('dataset-versions/:id/analyze')
  @HttpCode(202)
  @Needs('operator')
  analyze(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    return this.curation.analyze(id, parseBody(AnalyzeSchema, body), req.principal);
  }

  /** Rejects every duplicate of the last dedup analysis except each cluster's first record. */
  @Post('dataset-versions/:id/reject-duplicates')
  @Needs('operator')
  rejectDuplicates(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    const { kind } = parseBody(z.object({ kind: z.enum(['exact', 'near']).default('near') }).strict(), body);
    return this.curation.rejectDuplicates(id, kind, req.principal);
  }
}
