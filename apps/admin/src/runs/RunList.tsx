import AccountTree from '@mui/icons-material/AccountTree';
import Assessment from '@mui/icons-material/Assessment';
import ModelTraining from '@mui/icons-material/ModelTraining';
import { Link } from 'react-router-dom';
import { Box, Typography } from '@mui/material';
import { Button, CreateButton, DataTable, DateField, List, ReferenceField, SelectInput, TextField, TopToolbar, useCanAccess, useRecordContext } from 'react-admin';
import { RUN_STATUSES } from '@retort/contracts';
import { elapsedMs, formatDuration } from '../lib/time';
import { pollRunsWhileActive } from './metrics';
import { PipelineSteps } from './PipelineSteps';
import { RunProgress } from './RunProgress';
import { RunStatusChip } from './RunStatusChip';
import type { Run } from './types';

const STATUS_CHOICES = RUN_STATUSES.map((s) => ({ id: s, name: s }));
const KIND_CHOICES = ['train', 'generate', 'evaluate', 'pipeline'].map((k) => ({ id: k, name: k }));

const TOP_LEVEL = { parentId: null };

const filters = [
  <SelectInput key="status" source="status" label="Status" choices={STATUS_CHOICES} alwaysOn />,
  <SelectInput key="kind" source="kind" label="Kind" choices={KIND_CHOICES} alwaysOn />,
];

/** "New distillation (pipeline)": the pipeline form at /runs/pipeline (operators and admins). */
const PipelineButton = ({ variant }: { variant?: 'text' | 'contained' | 'outlined' }) => {
  const { canAccess } = useCanAccess({ resource: 'runs', action: 'create' });
  if (!canAccess) return null;
  return (
    <Button component={Link} to="/runs/pipeline" label="New distillation (pipeline)" variant={variant} data-testid="create-pipeline">
      <AccountTree />
    </Button>
  );
};

/** "New evaluation": the evaluate form at /runs/evaluate. */
const EvaluateButton = () => {
  const { canAccess } = useCanAccess({ resource: 'runs', action: 'create' });
  if (!canAccess) return null;
  return (
    <Button component={Link} to="/runs/evaluate" label="New evaluation" data-testid="create-evaluate">
      <Assessment />
    </Button>
  );
};

const ListActions = () => (
  <TopToolbar>
    <EvaluateButton />
    <PipelineButton />
    <CreateButton label="New training run" aria-label="New training run" data-testid="create-run" />
  </TopToolbar>
);

const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 480 }} data-testid="runs-empty">
    <ModelTraining sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No runs yet
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      A training run fits a LoRA or QLoRA adapter of a base model on a dataset version, on a worker.
    </Typography>
    <CreateButton variant="contained" label="New training run" aria-label="New training run" data-testid="create-run" />{' '}
    <PipelineButton variant="outlined" />
  </Box>
);

/** Under a pipeline's row: its steps (generate, train, evaluate), which the list leaves out. */
const PipelineChildren = () => {
  const run = useRecordContext<Run>();
  if (!run) return null;
  return (
    <Box sx={{ pl: 4, py: 1 }} data-testid="pipeline-children" data-pipeline={run.id}>
      <PipelineSteps run={run} />
    </Box>
  );
};

/**
 * Top-level runs only (`parentId` null): a pipeline's steps are listed under its row, so the
 * list does not scatter them around (a step is created before its pipeline finishes).
 */
export const RunList = () => (
  <List
    title="Runs"
    filter={TOP_LEVEL}
    sort={{ field: 'createdAt', order: 'DESC' }}
    perPage={25}
    filters={filters}
    actions={<ListActions />}
    empty={<Empty />}
    queryOptions={{ refetchInterval: pollRunsWhileActive }}
  >
    <DataTable<Run> rowClick="show" bulkActionButtons={false} expand={<PipelineChildren />} isRowExpandable={(r) => r.kind === 'pipeline'} data-testid="runs-grid" aria-label="Runs">
      <DataTable.Col source="status" label="Status" render={(r) => <RunStatusChip status={r.status} error={r.error} />} />
      <DataTable.Col source="kind" label="Kind" />
      <DataTable.Col source="config.adapterName" label="Adapter" disableSort render={(r) => <span data-testid="run-adapter">{String(r.config?.adapterName ?? '')}</span>} />
      <DataTable.Col source="config.baseModelId" label="Base model" disableSort>
        <ReferenceField source="config.baseModelId" reference="models" link="show" emptyText="—">
          <TextField source="name" />
        </ReferenceField>
      </DataTable.Col>
      <DataTable.Col label="Progress" disableSort render={(r) => <RunProgress run={r as Run} />} />
      <DataTable.Col label="Duration" disableSort render={(r) => formatDuration(elapsedMs((r as Run).startedAt, (r as Run).finishedAt))} />
      <DataTable.Col source="createdAt" label="Created">
        <DateField source="createdAt" showTime />
      </DataTable.Col>
    </DataTable>
  </List>
);
