import { Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CommitCurationSchema,
  CreateDatasetSchema,
  DatasetDetailResponseSchema,
  DatasetResponseSchema,
  DatasetSummaryResponseSchema,
  DatasetVersionResponseSchema,
  UploadQuerySchema,
  type CreateDatasetDto,
  type RetortConfig,
} from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { ID_LIST, parseListQuery, sendPage, TEXT_FILTER, UUID_FILTER } from '../common/list-query';
import { parseBody, parseQuery, ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse, openApiSchema } from '../common/zod-openapi';
import { CurationService } from '../records/curation.service';
import { ModelsService } from '../models/models.service';
import { CONFIG } from '../infra/tokens';
import { DatasetsService } from './datasets.service';
import { uploadSource } from './upload-source';

@ApiTags('datasets')
@Controller('api/v1')
export class DatasetsController {
  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @Inject(CurationService) private readonly curation: CurationService,
    @Inject(ModelsService) private readonly models: ModelsService,
  ) {}

  @Get('datasets')
  @Needs('viewer')
  @ApiZodList(DatasetSummaryResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt', 'updatedAt'], { field: 'createdAt', order: 'DESC' }, { id: ID_LIST, name: TEXT_FILTER, q: TEXT_FILTER });
    const [items, total] = await this.datasets.list(q);
    return sendPage(res, 'datasets', q, items, total);
  }

  @Post('datasets')
  @Needs('operator')
  @ApiZodResponse(201, DatasetResponseSchema)
  create(@ZodBody(CreateDatasetSchema) dto: CreateDatasetDto, @Req() req: AuthedRequest) {
    return this.datasets.create(dto, req.principal);
  }

  @Get('datasets/:id')
  @Needs('viewer')
  @ApiZodResponse(200, DatasetDetailResponseSchema)
  show(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.datasets.get(id);
  }

  /**
   * A new version: a JSONL file as the body (or one multipart file), options in the query
   * (format, purpose, maxTokens, filename); or, with a JSON body {from, include?, tag?}, the
   * curated records of an earlier version. 201 with the version; 422 naming every bad line.
   */
  @Post('datasets/:id/versions')
  @Needs('operator')
  @ApiOperation({
    requestBody: {
      required: true,
      content: {
        'application/x-ndjson': { schema: { type: 'string', description: 'the JSONL file' } },
        'multipart/form-data': { schema: { type: 'object', description: 'one file, under any field name', properties: { file: { type: 'string', format: 'binary' } } } },
        'application/json': { schema: openApiSchema(CommitCurationSchema, 'input') },
      },
    },
  })
  @ApiZodResponse(201, DatasetVersionResponseSchema)
  async createVersion(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest, @Query() query: unknown) {
    if (req.is('application/json')) return this.curation.commit(id, parseBody(CommitCurationSchema, req.body), req.principal);
    const options = parseQuery(UploadQuerySchema, query);
    const { stream, filename } = await uploadSource(req, this.config.maxUploadBytes);
    const named = filename ?? options.filename;
    const model = options.model ? await this.models.resolve(options.model) : undefined;
    return this.datasets.createVersion(id, stream, req.principal, { source: 'upload', ...(named ? { filename: named } : {}) }, { ...options, tokenizerModel: model });
  }

  @Get('dataset-versions')
  @Needs('viewer')
  @ApiZodList(DatasetVersionResponseSchema)
  async listVersions(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['version', 'createdAt', 'status'], { field: 'createdAt', order: 'DESC' }, { id: ID_LIST, datasetId: UUID_FILTER, status: TEXT_FILTER });
    const [items, total] = await this.datasets.listVersions(q);
    return sendPage(res, 'dataset-versions', q, items, total);
  }

  @Get('dataset-versions/:id')
  @Needs('viewer')
  @ApiZodResponse(200, DatasetVersionResponseSchema)
  showVersion(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.datasets.getVersion(id);
  }

  /** Exactly the stored bytes of the version's canonical JSONL. */
  @Get('dataset-versions/:id/export')
  @Needs('viewer')
  async export(@Param('id', new ParseUUIDPipe()) id: string, @Res({ passthrough: true }) res: Response) {
    const { version, stream } = await this.datasets.exportStream(id);
    res.setHeader('Content-Type', 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="dataset-${version.datasetId}-v${version.version}.jsonl"`);
    res.setHeader('X-Content-SHA256', version.sha256);
    return new StreamableFile(stream, { length: version.size });
  }
}
