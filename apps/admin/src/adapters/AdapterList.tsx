import Extension from '@mui/icons-material/Extension';
import { Box, Typography } from '@mui/material';
import { DataTable, DateField, List } from 'react-admin';
import { StageChips } from './StageChips';
import type { Adapter } from './types';

const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 520 }} data-testid="adapters-empty">
    <Extension sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No adapters yet
    </Typography>
    <Typography variant="body2" color="text.secondary">
      A training run registers a new version of its adapter when it succeeds. Start one under Runs.
    </Typography>
  </Box>
);

export const AdapterList = () => (
  <List title="Adapters" sort={{ field: 'name', order: 'ASC' }} perPage={25} empty={<Empty />} exporter={false}>
    <DataTable<Adapter> rowClick="show" bulkActionButtons={false} data-testid="adapters-grid" aria-label="Adapters">
      <DataTable.Col source="name" label="Name" render={(a) => <span data-testid="adapter-name">{a.name}</span>} />
      <DataTable.Col source="baseModel" label="Base model" disableSort />
      <DataTable.Col source="latestVersion" label="Latest" disableSort render={(a) => (a.latestVersion ? `v${a.latestVersion}` : '—')} />
      <DataTable.Col source="stages" label="Stages" disableSort render={(a) => <StageChips stages={a.stages} />} />
      <DataTable.Col source="createdAt" label="Created">
        <DateField source="createdAt" showTime />
      </DataTable.Col>
    </DataTable>
  </List>
);
