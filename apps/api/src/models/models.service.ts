import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAMILIES, familyOfConfig } from '@retort/contracts';
import type { RegisterModelDto } from '@retort/contracts';
import { Repositories, type BaseModel } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { idFilter, textFilter, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';

@Injectable()
export class ModelsService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /**
   * Registers a Hugging Face layout directory. The api reads its config.json to check the family
   * and keep the config; the path must be readable by every worker too (a shared volume).
   */
  async register(dto: RegisterModelDto, who: Principal): Promise<BaseModel> {
    const dir = path.resolve(dto.path);
    const field = (message: string) => new ProblemException(400, 'validation', `${dir}: ${message}`, { errors: [{ path: 'path', message }] });
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw field('not a directory on the api host');
    const configFile = path.join(dir, 'config.json');
    if (!fs.existsSync(configFile)) throw field('has no config.json');
    let config: Record<string, any>;
    try {
      config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw field(`config.json is not valid JSON (${(err as Error).message})`);
    }
    const family = familyOfConfig(config);
    if (!family) throw field(`model_type "${config.model_type}" is not supported (${FAMILIES.join(', ')})`);
    if (await this.db.baseModels.findByName(dto.name)) throw new ProblemException(409, 'conflict', `a model named "${dto.name}" already exists`);
    const model = await this.db.baseModels.create({ name: dto.name, path: dir, family, config, hasTokenizer: fs.existsSync(path.join(dir, 'tokenizer.json')) });
    await this.audit.record(who, 'model.register', { type: 'base_model', id: model.id }, { name: model.name, path: dir });
    return model;
  }

  list(q: ListQuery): Promise<[BaseModel[], number]> {
    return this.db.baseModels.list({ ids: idFilter(q), name: textFilter(q, 'name') }, q);
  }

  async get(id: string): Promise<BaseModel> {
    const model = await this.db.baseModels.findById(id);
    if (!model) throw new NotFoundException(`model ${id} does not exist`);
    return model;
  }

  /** By name or id, for query parameters such as an upload's `model`. */
  async resolve(ref: string): Promise<BaseModel> {
    const model = await this.db.baseModels.findByRef(ref);
    if (!model) throw new ProblemException(400, 'validation', `no model "${ref}" is registered`, { errors: [{ path: 'model', message: 'unknown model' }] });
    return model;
  }
}
