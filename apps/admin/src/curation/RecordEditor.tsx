import { Box, Dialog, DialogContent, DialogTitle, IconButton, Stack, Typography } from '@mui/material';
import Close from '@mui/icons-material/Close';
import {
  ArrayInput,
  EditBase,
  RadioButtonGroupInput,
  required,
  SaveButton,
  SelectInput,
  SimpleForm,
  SimpleFormIterator,
  TextArrayInput,
  TextInput,
  Toolbar,
  useNotify,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import type { DatasetRecord } from '../datasets/types';

const ROLES = ['system', 'user', 'assistant'].map((r) => ({ id: r, name: r }));
const STATUSES = ['pending', 'accepted', 'rejected'].map((s) => ({ id: s, name: s }));

const validateTags = (tags: string[] | undefined) => {
  const bad = (tags ?? []).find((t) => !/^[^\s,]{1,64}$/.test(t));
  return bad === undefined ? undefined : `"${bad}": tags have no spaces or commas (at most 64 characters)`;
};

const EditorToolbar = () => (
  <Toolbar>
    <SaveButton data-testid="record-save" />
  </Toolbar>
);

const Meta = () => {
  const r = useRecordContext<DatasetRecord>();
  if (!r) return null;
  return (
    <Typography variant="caption" color="text.secondary" component="div" sx={{ mb: 1 }}>
      Record #{r.idx} · {r.chars.toLocaleString()} chars{r.tokenCount !== null ? ` · ${r.tokenCount.toLocaleString()} tokens` : ''}
      {r.edited ? ' · edited' : ''}
      {Object.keys(r.meta ?? {}).length ? ` · meta ${JSON.stringify(r.meta)}` : ''}
    </Typography>
  );
};

/**
 * One record in a dialog: status, tags and the conversation (role + content per message).
 * Saves with PATCH /records/:id carrying only what changed; an edit marks the record "edited".
 */
export const RecordEditor = ({ id, onClose, readOnly }: { id: string | null; onClose: () => void; readOnly: boolean }) => {
  const notify = useNotify();
  const refresh = useRefresh();
  return (
    <Dialog open={id !== null} onClose={onClose} fullWidth maxWidth="md" aria-labelledby="record-editor-title">
      <DialogTitle id="record-editor-title">
        Record
        <IconButton aria-label="Close" onClick={onClose} sx={{ position: 'absolute', right: 8, top: 8 }}>
          <Close />
        </IconButton>
      </DialogTitle>
      <DialogContent dividers data-testid="record-editor">
        {id !== null && (
          <EditBase
            resource="records"
            id={id}
            mutationMode="pessimistic"
            redirect={false}
            mutationOptions={{
              onSuccess: () => {
                notify('Record saved', { type: 'success' });
                refresh();
                onClose();
              },
              onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
            }}
          >
            <Box>
              <Meta />
              <SimpleForm toolbar={readOnly ? false : <EditorToolbar />} disabled={readOnly} sx={{ p: 0 }}>
                <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ width: '100%' }}>
                  <RadioButtonGroupInput source="status" label="Status" choices={STATUSES} validate={required()} />
                  <TextArrayInput source="tags" label="Tags" validate={validateTags} helperText="Enter to add a tag" sx={{ minWidth: 320 }} />
                </Stack>
                <ArrayInput source="messages" label="Conversation" validate={required()}>
                  <SimpleFormIterator inline disableReordering={false} data-testid="record-messages">
                    <SelectInput source="role" label="Role" choices={ROLES} validate={required()} sx={{ width: 140 }} />
                    <TextInput source="content" label="Content" multiline minRows={1} maxRows={12} validate={required()} sx={{ minWidth: 520 }} />
                  </SimpleFormIterator>
                </ArrayInput>
              </SimpleForm>
            </Box>
          </EditBase>
        )}
      </DialogContent>
    </Dialog>
  );
};
