import { DateField, EditButton, FunctionField, NumberField, Show, SimpleShowLayout, TextField, TopToolbar, useRecordContext } from 'react-admin';
import { KINDS } from './EndpointForm';
import { PurposeChip } from './EndpointList';
import { TestConnection } from './TestConnection';
import type { Endpoint } from './types';

const Title = () => {
  const e = useRecordContext<Endpoint>();
  return <span>Endpoint {e?.name ?? ''}</span>;
};

/** EditButton checks canAccess "edit": admins only. */
const Actions = () => (
  <TopToolbar>
    <EditButton data-testid="edit-endpoint" />
  </TopToolbar>
);

export const EndpointShow = () => (
  <Show title={<Title />} actions={<Actions />}>
    <SimpleShowLayout>
      <TextField source="name" label="Name" />
      <FunctionField<Endpoint> label="Purpose" render={(e) => <PurposeChip purpose={e.purpose} />} />
      <FunctionField<Endpoint> label="Kind" render={(e) => KINDS.find((k) => k.id === e.kind)?.name ?? e.kind} />
      <TextField source="baseUrl" label="Base URL" sx={{ fontFamily: 'monospace' }} />
      <TextField source="model" label="Model" />
      <FunctionField<Endpoint> label="API key" render={(e) => <span data-testid="endpoint-key-state">{e.hasApiKey ? 'stored (write-only)' : 'none'}</span>} />
      <NumberField source="maxConcurrency" label="Max concurrent requests" />
      <FunctionField<Endpoint> label="Requests per minute" render={(e) => e.requestsPerMinute ?? 'no limit'} />
      <FunctionField<Endpoint> label="Tokens per minute" render={(e) => e.tokensPerMinute ?? 'no limit'} />
      <NumberField source="timeoutMs" label="Timeout (ms)" />
      <DateField source="createdAt" label="Created" showTime />
    </SimpleShowLayout>
    <TestConnection />
  </Show>
);
