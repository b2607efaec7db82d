import Check from '@mui/icons-material/Check';
import Close from '@mui/icons-material/Close';
import EditNote from '@mui/icons-material/EditNote';
import { Box, Chip, IconButton, Stack, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import {
  DataTable,
  List,
  NullableBooleanInput,
  NumberInput,
  SearchInput,
  SelectInput,
  TextInput,
  TopToolbar,
  useNotify,
  useRecordContext,
  useRefresh,
  useUpdate,
} from 'react-admin';
import type { DatasetRecord, RecordStatus } from '../datasets/types';
import { AnswerText } from '../lib/AnswerText';
import { MatchingActions, SelectedActions } from './BulkActions';
import { recordPreview } from './preview';
import { RecordEditor } from './RecordEditor';
import { RecordStatusChip } from './RecordStatusChip';

const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Search text" data-testid="filter-q" />,
  <SelectInput
    key="status"
    source="status"
    label="Status"
    alwaysOn
    choices={['pending', 'accepted', 'rejected'].map((s) => ({ id: s, name: s }))}
    data-testid="filter-status"
  />,
  <TextInput key="tag" source="tag" label="Tag" alwaysOn data-testid="filter-tag" />,
  <NumberInput key="minChars" source="minChars" label="Min chars" alwaysOn min={0} sx={{ width: 120 }} data-testid="filter-min-chars" />,
  <NumberInput key="maxChars" source="maxChars" label="Max chars" alwaysOn min={0} sx={{ width: 120 }} data-testid="filter-max-chars" />,
  <NullableBooleanInput key="edited" source="edited" label="Edited" alwaysOn sx={{ minWidth: 120 }} />,
];

/** Accept / reject one row in place (operators). */
const QuickStatus = () => {
  const record = useRecordContext<DatasetRecord>();
  const [update, { isPending }] = useUpdate<DatasetRecord>();
  const notify = useNotify();
  const refresh = useRefresh();
  if (!record) return null;
  const set = (status: RecordStatus) => (event: React.MouseEvent) => {
    event.stopPropagation();
    update(
      'records',
      { id: record.id, data: { status }, previousData: record },
      {
        mutationMode: 'pessimistic',
        onSuccess: () => refresh(),
        onError: (e) => notify((e as Error).message, { type: 'error', messageArgs: { _: (e as Error).message } }),
      },
    );
  };
  return (
    <Stack direction="row" spacing={0}>
      <Tooltip title="Accept">
        <span>
          <IconButton size="small" color="success" disabled={isPending || record.status === 'accepted'} onClick={set('accepted')} aria-label="Accept" data-testid="record-accept">
            <Check fontSize="small" />
          </IconButton>
        </span>
      </Tooltip>
      <Tooltip title="Reject">
        <span>
          <IconButton size="small" color="error" disabled={isPending || record.status === 'rejected'} onClick={set('rejected')} aria-label="Reject" data-testid="record-reject">
            <Close fontSize="small" />
          </IconButton>
        </span>
      </Tooltip>
    </Stack>
  );
};

const Conversation = () => {
  const r = useRecordContext<DatasetRecord>();
  if (!r) return null;
  const { prompt, answer, rawAnswer } = recordPreview(r.messages, 140);
  return (
    // As wide as the window leaves beside the other columns and the menu (~960 px together), so
    // the grid fits a 1280 px window.
    <Box sx={{ maxWidth: 'clamp(200px, calc(100vw - 960px), 640px)' }} data-testid="record-preview">
      <Typography variant="body2" noWrap title={prompt}>
        <b>user</b> {prompt}
      </Typography>
      <Typography variant="body2" color="text.secondary" noWrap title={answer}>
        <b>assistant</b> <AnswerText text={rawAnswer} shown={answer} />
      </Typography>
    </Box>
  );
};

/** The status chip, and a mark when the record was edited during curation. */
const StatusCell = ({ record }: { record: DatasetRecord }) => (
  <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }}>
    <RecordStatusChip status={record.status} />
    {record.edited && (
      <Tooltip title="Edited during curation">
        <EditNote fontSize="small" color="action" data-testid="record-edited" />
      </Tooltip>
    )}
  </Stack>
);

const Tags = () => {
  const r = useRecordContext<DatasetRecord>();
  if (!r?.tags?.length) return null;
  return (
    <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }}>
      {r.tags.map((t) => (
        <Chip key={t} size="small" label={t} data-testid="record-tag" />
      ))}
    </Stack>
  );
};

const Empty = () => (
  <Typography variant="body2" color="text.secondary" sx={{ p: 2 }} data-testid="records-empty">
    No records match these filters.
  </Typography>
);

/**
 * The version's records, filtered by status, tag, text and length. Ticking rows acts on those
 * rows; the toolbar acts on every record matching the filter. A click opens the record editor.
 */
export const RecordsGrid = ({ versionId, canCurate }: { versionId: string; canCurate: boolean }) => {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <>
      <List
        resource="records"
        filter={{ versionId }}
        filters={filters}
        sort={{ field: 'idx', order: 'ASC' }}
        perPage={25}
        disableSyncWithLocation
        storeKey={`records.${versionId}.list`}
        title={false}
        actions={<TopToolbar>{canCurate && <MatchingActions versionId={versionId} />}</TopToolbar>}
        empty={false}
        sx={{ '& .RaList-main': { mt: 0 } }}
      >
        <DataTable<DatasetRecord>
          rowClick={(id) => {
            setEditing(String(id));
            return false;
          }}
          bulkActionButtons={canCurate ? <SelectedActions versionId={versionId} /> : false}
          empty={<Empty />}
          data-testid="records-grid"
          aria-label="Records"
        >
          <DataTable.Col source="idx" label="#" />
          <DataTable.Col source="status" label="Status" render={(r) => <StatusCell record={r as DatasetRecord} />} />
          {canCurate && (
            <DataTable.Col label="" disableSort>
              <QuickStatus />
            </DataTable.Col>
          )}
          <DataTable.Col label="Conversation" disableSort>
            <Conversation />
          </DataTable.Col>
          <DataTable.Col label="Tags" disableSort>
            <Tags />
          </DataTable.Col>
          <DataTable.NumberCol source="chars" label="Chars" />
          <DataTable.Col source="tokenCount" label="Tokens" align="right" render={(r) => (r.tokenCount === null ? '' : r.tokenCount.toLocaleString())} />
        </DataTable>
      </List>
      <RecordEditor id={editing} onClose={() => setEditing(null)} readOnly={!canCurate} />
    </>
  );
};
