import Memory from '@mui/icons-material/Memory';
import { Box, Chip, Typography } from '@mui/material';
import { CreateButton, DataTable, DateField, List, TopToolbar } from 'react-admin';
import { modelShape } from './shape';
import type { BaseModel } from './types';

const ListActions = () => (
  <TopToolbar>
    <CreateButton label="Register model" aria-label="Register model" data-testid="register-model" />
  </TopToolbar>
);

const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 480 }} data-testid="models-empty">
    <Memory sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No models yet
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      Register a base model (a Hugging Face layout directory with config.json, weights and tokenizer) to train adapters on it.
    </Typography>
    <CreateButton variant="contained" label="Register model" aria-label="Register model" data-testid="register-model" />
  </Box>
);

export const ModelList = () => (
  <List title="Models" sort={{ field: 'name', order: 'ASC' }} perPage={25} actions={<ListActions />} empty={<Empty />}>
    <DataTable<BaseModel> rowClick="show" bulkActionButtons={false} data-testid="models-grid" aria-label="Models">
      <DataTable.Col source="name" label="Name" render={(m) => <span data-testid="model-name">{m.name}</span>} />
      <DataTable.Col source="family" label="Family" disableSort />
      <DataTable.Col label="Shape" disableSort render={(m) => modelShape(m.config)} />
      <DataTable.Col
        source="hasTokenizer"
        label="Tokenizer"
        disableSort
        render={(m) => <Chip size="small" variant="outlined" label={m.hasTokenizer ? 'yes' : 'none'} color={m.hasTokenizer ? 'success' : 'warning'} />}
      />
      <DataTable.Col source="path" label="Path" disableSort render={(m) => <Typography variant="body2" sx={{ fontFamily: 'monospace' }}>{m.path}</Typography>} />
      <DataTable.Col source="createdAt" label="Registered">
        <DateField source="createdAt" showTime />
      </DataTable.Col>
    </DataTable>
  </List>
);
