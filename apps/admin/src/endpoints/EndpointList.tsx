import Hub from '@mui/icons-material/Hub';
import Key from '@mui/icons-material/Key';
import { Box, Chip, Tooltip, Typography } from '@mui/material';
import { CreateButton, DataTable, List, SelectInput, TopToolbar } from 'react-admin';
import { KINDS } from './EndpointForm';
import type { Endpoint } from './types';

const filters = [
  <SelectInput
    key="purpose"
    source="purpose"
    label="Purpose"
    alwaysOn
    choices={[
      { id: 'teacher', name: 'Teacher' },
      { id: 'serving', name: 'Serving' },
    ]}
  />,
];

/** CreateButton hides itself for all but admins (lib/access: endpoint writes are admin-only). */
const ListActions = () => (
  <TopToolbar>
    <CreateButton label="New endpoint" aria-label="New endpoint" data-testid="create-endpoint" />
  </TopToolbar>
);

const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 520 }} data-testid="endpoints-empty">
    <Hub sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No endpoints yet
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      Teachers are OpenAI-compatible chat endpoints that generate distillation data; serving targets (vLLM, retort serve) receive promoted
      adapters. Admins add them.
    </Typography>
    <CreateButton variant="contained" label="New endpoint" aria-label="New endpoint" data-testid="create-endpoint" />
  </Box>
);

export const PurposeChip = ({ purpose }: { purpose: Endpoint['purpose'] }) => (
  <Chip size="small" variant="outlined" color={purpose === 'teacher' ? 'secondary' : 'primary'} label={purpose} data-testid="endpoint-purpose" />
);

export const EndpointList = () => (
  <List title="Endpoints" sort={{ field: 'name', order: 'ASC' }} perPage={25} filters={filters} actions={<ListActions />} empty={<Empty />}>
    <DataTable<Endpoint> rowClick="show" bulkActionButtons={false} data-testid="endpoints-grid" aria-label="Endpoints">
      <DataTable.Col source="name" label="Name" render={(e) => <span data-testid="endpoint-name">{e.name}</span>} />
      <DataTable.Col source="purpose" label="Purpose" render={(e) => <PurposeChip purpose={e.purpose} />} />
      <DataTable.Col source="kind" label="Kind" disableSort render={(e) => KINDS.find((k) => k.id === e.kind)?.name ?? e.kind} />
      <DataTable.Col source="baseUrl" label="Base URL" disableSort render={(e) => <Typography variant="body2" sx={{ fontFamily: 'monospace' }}>{e.baseUrl}</Typography>} />
      <DataTable.Col source="model" label="Model" disableSort />
      <DataTable.Col
        source="hasApiKey"
        label="Key"
        disableSort
        render={(e) =>
          e.hasApiKey ? (
            <Tooltip title="An API key is stored (write-only)">
              <Key fontSize="small" color="action" data-testid="endpoint-has-key" />
            </Tooltip>
          ) : null
        }
      />
      <DataTable.NumberCol source="maxConcurrency" label="Concurrency" disableSort />
    </DataTable>
  </List>
);
