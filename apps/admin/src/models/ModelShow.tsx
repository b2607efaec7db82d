import { Chip } from '@mui/material';
import { DateField, FunctionField, Labeled, Show, SimpleShowLayout, TextField, useRecordContext } from 'react-admin';
import { modelShape } from './shape';
import type { BaseModel } from './types';

const Title = () => {
  const m = useRecordContext<BaseModel>();
  return <span>Model {m?.name ?? ''}</span>;
};

const Config = () => {
  const m = useRecordContext<BaseModel>();
  if (!m) return null;
  return (
    <Labeled label="config.json" fullWidth>
      <pre data-testid="model-config" style={{ margin: 0, maxHeight: 360, overflow: 'auto', fontSize: 12 }}>
        {JSON.stringify(m.config, null, 2)}
      </pre>
    </Labeled>
  );
};

export const ModelShow = () => (
  <Show title={<Title />}>
    <SimpleShowLayout>
      <TextField source="name" label="Name" />
      <TextField source="family" label="Family" />
      <FunctionField<BaseModel> label="Shape" render={(m) => modelShape(m.config)} />
      <TextField source="path" label="Path" sx={{ fontFamily: 'monospace' }} />
      <FunctionField<BaseModel>
        label="Tokenizer"
        render={(m) => (m.hasTokenizer ? <Chip size="small" label="tokenizer.json" color="success" variant="outlined" /> : <Chip size="small" label="no tokenizer.json" color="warning" variant="outlined" />)}
      />
      <DateField source="createdAt" label="Registered" showTime />
      <Config />
    </SimpleShowLayout>
  </Show>
);
