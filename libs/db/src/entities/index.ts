import { Adapter, AdapterVersion } from './adapter.entity';
import { ApiToken } from './api-token.entity';
import { Checkpoint } from './checkpoint.entity';
import { Endpoint } from './endpoint.entity';
import { GenerationResult } from './generation-result.entity';
import { AuditLog } from './audit-log.entity';
import { BaseModel } from './base-model.entity';
import { Dataset } from './dataset.entity';
import { DatasetVersion } from './dataset-version.entity';
import { DatasetRecord } from './record.entity';
import { AdapterStage, Deployment, Schedule, ScheduleFire, StageHistory } from './registry.entity';
import { Run } from './run.entity';
import { RunEvent } from './run-event.entity';

export { AdapterStage, Deployment, Schedule, ScheduleFire, StageHistory };
export type { Stage } from './registry.entity';
export { Adapter, AdapterVersion, ApiToken, AuditLog, BaseModel, Checkpoint, Endpoint, GenerationResult, Dataset, DatasetRecord, DatasetVersion, Run, RunEvent };
export type { RecordStatus } from './record.entity';
export type { DatasetLineage } from './dataset-version.entity';
export type { RunKind, RunStatus } from './run.entity';

export const ENTITIES = [AdapterStage, Deployment, Schedule, ScheduleFire, StageHistory, Adapter, AdapterVersion, ApiToken, AuditLog, BaseModel, Checkpoint, Endpoint, GenerationResult, Dataset, DatasetRecord, DatasetVersion, Run, RunEvent];
