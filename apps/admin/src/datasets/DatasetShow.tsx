import Tune from '@mui/icons-material/Tune';
import { Button, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import {
  ArrayField,
  DataTable,
  DateField,
  Labeled,
  Show,
  SimpleShowLayout,
  TextField,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { formatBytes, shortSha } from '../lib/format';
import { pollWhileProcessing } from './polling';
import { StatusChip } from './StatusChip';
import type { Dataset, DatasetVersion } from './types';
import { UploadVersionButton } from './UploadVersionButton';
import { VersionDetails } from './VersionDetails';
import { versionPath } from './VersionLink';

const ShowActions = () => (
  <TopToolbar>
    <UploadVersionButton />
  </TopToolbar>
);

const DatasetTitle = () => {
  const record = useRecordContext<Dataset>();
  return <span>Dataset {record ? record.name : ''}</span>;
};

const noVersions = (
  <Typography variant="body2" color="text.secondary" sx={{ py: 1 }} data-testid="versions-empty">
    No versions yet.
  </Typography>
);

/** Opens the version's curation page (records, analysis, split, commit); ready versions only. */
const CurateButton = ({ version }: { version: DatasetVersion }) =>
  version.status === 'ready' ? (
    <Button
      size="small"
      component={Link}
      to={versionPath(version.datasetId, version.id)}
      onClick={(event: React.MouseEvent) => event.stopPropagation()}
      startIcon={<Tune />}
      data-testid="curate-version"
      data-version={version.version}
    >
      Records
    </Button>
  ) : null;

/** Newest first, as the API sends them; rows expand to stats and errors. */
const VersionsTable = () => {
  const record = useRecordContext<Dataset>();
  if (!record?.versions) return null; // list rows seed the cache without `versions`
  return (
    <ArrayField source="versions" perPage={1000}>
      <DataTable<DatasetVersion>
        bulkActionButtons={false}
        rowClick="expand"
        expand={<VersionDetails />}
        empty={noVersions}
        data-testid="versions-table"
        aria-label="Versions"
      >
        <DataTable.Col source="version" label="Version" disableSort render={(v) => <span data-testid="version-number">v{v.version}</span>} />
        <DataTable.Col source="status" label="Status" disableSort render={(v) => <StatusChip status={v.status} error={v.error} />} />
        <DataTable.NumberCol source="records" label="Records" disableSort />
        <DataTable.Col
          source="sha256"
          label="sha256"
          disableSort
          render={(v) => (
            <Typography component="span" variant="body2" sx={{ fontFamily: 'monospace' }} title={v.sha256}>
              {shortSha(v.sha256)}
            </Typography>
          )}
        />
        <DataTable.Col source="size" label="Size" disableSort align="right" render={(v) => formatBytes(v.size)} />
        <DataTable.Col source="createdAt" label="Created" disableSort>
          <DateField source="createdAt" showTime />
        </DataTable.Col>
        <DataTable.Col label="" disableSort render={(v) => <CurateButton version={v as DatasetVersion} />} />
      </DataTable>
    </ArrayField>
  );
};

export const DatasetShow = () => (
  <Show title={<DatasetTitle />} actions={<ShowActions />} queryOptions={{ refetchInterval: pollWhileProcessing }}>
    <SimpleShowLayout>
      <TextField source="name" label="Name" />
      <TextField source="description" label="Description" emptyText="—" />
      <DateField source="createdAt" label="Created" showTime />
      <Labeled label="Versions" fullWidth>
        <VersionsTable />
      </Labeled>
    </SimpleShowLayout>
  </Show>
);
