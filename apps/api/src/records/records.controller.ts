import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  AnalyzeResponseSchema,
  AnalyzeSchema,
  BulkRecordsSchema,
  RecordFilterSchema,
  RecordResponseSchema,
  SplitResponseSchema,
  SplitSchema,
  UpdatedCountResponseSchema,
  UpdateRecordSchema,
  type AnalyzeDto,
  type BulkRecordsDto,
  type SplitDto,
  type UpdateRecordDto,
} from '@retort/contracts';
import { z } from 'zod';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage } from '../common/list-query';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { CurationService } from './curation.service';
import { RecordsService } from './records.service';

const RejectDuplicatesSchema = z.object({ kind: z.enum(['exact', 'near']).default('near') }).strict();
type RejectDuplicatesDto = z.infer<typeof RejectDuplicatesSchema>;

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
  @ApiZodList(RecordResponseSchema)
  async list(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['id', 'idx', 'chars', 'status', 'tokenCount'], { field: 'idx', order: 'ASC' }, RecordFilterSchema.shape);
    const [items, total] = await this.records.list(id, q);
    return sendPage(res, 'records', q, items, total);
  }

  @Get('records/:id')
  @Needs('viewer')
  @ApiZodResponse(200, RecordResponseSchema)
  show(@Param('id') id: string) {
    return this.records.get(id);
  }

  /** Accept, reject, tag or edit one record. */
  @Patch('records/:id')
  @Needs('operator')
  @ApiZodResponse(200, RecordResponseSchema)
  update(@Param('id') id: string, @ZodBody(UpdateRecordSchema) dto: UpdateRecordDto, @Req() req: AuthedRequest) {
    return this.records.update(id, dto, req.principal);
  }

  /** The same for every record matching a filter: {filter, status?, addTags?, removeTags?}. */
  @Post('dataset-versions/:id/records/bulk')
  @Needs('operator')
  @ApiZodResponse(201, UpdatedCountResponseSchema)
  bulk(@Param('id', new ParseUUIDPipe()) id: string, @ZodBody(BulkRecordsSchema) dto: BulkRecordsDto, @Req() req: AuthedRequest) {
    return this.records.bulk(id, dto, req.principal);
  }

  /** Seeded train/eval split: tags each record not rejected split:train or split:eval. */
  @Post('dataset-versions/:id/split')
  @Needs('operator')
  @ApiZodResponse(201, SplitResponseSchema)
  split(@Param('id', new ParseUUIDPipe()) id: string, @ZodBody(SplitSchema) dto: SplitDto, @Req() req: AuthedRequest) {
    return this.records.split(id, dto, req.principal);
  }

  /** Queue dedup ({dedup: {threshold}}) and/or PII scrubbing ({pii: true}) on the worker. */
  @Post('dataset-versions/:id/analyze')
  @HttpCode(202)
  @Needs('operator')
  @ApiZodResponse(202, AnalyzeResponseSchema)
  analyze(@Param('id', new ParseUUIDPipe()) id: string, @ZodBody(AnalyzeSchema) dto: AnalyzeDto, @Req() req: AuthedRequest) {
    return this.curation.analyze(id, dto, req.principal);
  }

  /** Rejects every duplicate of the last dedup analysis except each cluster's first record. */
  @Post('dataset-versions/:id/reject-duplicates')
  @Needs('operator')
  @ApiZodResponse(201, UpdatedCountResponseSchema)
  rejectDuplicates(@Param('id', new ParseUUIDPipe()) id: string, @ZodBody(RejectDuplicatesSchema) { kind }: RejectDuplicatesDto, @Req() req: AuthedRequest) {
    return this.curation.rejectDuplicates(id, kind, req.principal);
  }
}
