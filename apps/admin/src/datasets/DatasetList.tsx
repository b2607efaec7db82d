import Storage from '@mui/icons-material/Storage';
import { Box, Typography } from '@mui/material';
import {
  CreateButton,
  DataTable,
  DateField,
  List,
  SearchInput,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { pollListWhileProcessing } from './polling';
import { StatusChip } from './StatusChip';
import type { Dataset } from './types';

const filters = [<SearchInput key="q" source="q" alwaysOn placeholder="Search by name" />];

/** CreateButton hides itself for viewers (authProvider.canAccess). */
const ListActions = () => (
  <TopToolbar>
    <CreateButton label="New dataset" aria-label="New dataset" data-testid="create-dataset" />
  </TopToolbar>
);

/** No datasets yet: say what a dataset is, and offer the create button to those who may. */
const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 480 }} data-testid="datasets-empty">
    <Storage sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No datasets yet
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      A dataset holds versions of chat-format JSONL (one conversation per line) for training and distillation runs.
    </Typography>
    <CreateButton variant="contained" label="New dataset" aria-label="New dataset" data-testid="create-dataset" />
  </Box>
);

const NameCell = () => {
  const record = useRecordContext<Dataset>();
  if (!record) return null;
  return (
    <Typography component="span" variant="body2" sx={{ fontWeight: 500 }} data-testid="dataset-name">
      {record.name}
    </Typography>
  );
};

const LatestVersionCell = () => {
  const record = useRecordContext<Dataset>();
  const v = record?.latestVersion;
  return v ? <span data-testid="dataset-latest-version">v{v.version}</span> : <Typography variant="body2" color="text.secondary">none</Typography>;
};

const StatusCell = () => {
  const record = useRecordContext<Dataset>();
  const v = record?.latestVersion;
  return v ? <StatusChip status={v.status} error={v.error} /> : null;
};

const RecordsCell = () => {
  const record = useRecordContext<Dataset>();
  const n = record?.latestVersion?.records;
  return <span data-testid="dataset-records">{n === null || n === undefined ? '' : n.toLocaleString()}</span>;
};

export const DatasetList = () => (
  <List
    title="Datasets"
    sort={{ field: 'createdAt', order: 'DESC' }}
    perPage={25}
    filters={filters}
    actions={<ListActions />}
    empty={<Empty />}
    queryOptions={{ refetchInterval: pollListWhileProcessing }}
  >
    <DataTable<Dataset> rowClick="show" bulkActionButtons={false} data-testid="datasets-grid" aria-label="Datasets">
      <DataTable.Col source="name" label="Name">
        <NameCell />
      </DataTable.Col>
      <DataTable.Col source="latestVersion.version" label="Latest version" disableSort>
        <LatestVersionCell />
      </DataTable.Col>
      <DataTable.Col source="latestVersion.status" label="Status" disableSort>
        <StatusCell />
      </DataTable.Col>
      <DataTable.Col source="latestVersion.records" label="Records" disableSort align="right">
        <RecordsCell />
      </DataTable.Col>
      <DataTable.Col source="createdAt" label="Created">
        <DateField source="createdAt" showTime />
      </DataTable.Col>
    </DataTable>
  </List>
);
