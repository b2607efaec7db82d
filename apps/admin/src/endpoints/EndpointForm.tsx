import { Typography } from '@mui/material';
import {
  BooleanInput,
  FormDataConsumer,
  maxLength,
  minValue,
  NumberInput,
  PasswordInput,
  RadioButtonGroupInput,
  regex,
  required,
  SelectInput,
  SimpleForm,
  TextInput,
  useRecordContext,
} from 'react-admin';
import type { EndpointFormValues } from './body';
import type { Endpoint } from './types';

export { endpointBody, type EndpointFormValues } from './body';

const validateName = [required(), maxLength(100), regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit')];
const validateUrl = [required(), regex(/^https?:\/\/\S+$/, 'An http(s) URL, e.g. http://vllm:8000/v1')];

export const PURPOSES = [
  { id: 'teacher', name: 'Teacher (generates training data)' },
  { id: 'serving', name: 'Serving target (adapters are pushed to it)' },
];
export const KINDS = [
  { id: 'openai', name: 'OpenAI-compatible' },
  { id: 'vllm', name: 'vLLM' },
  { id: 'retort', name: 'retort serve' },
];

const ApiKeyInputs = ({ editing }: { editing: boolean }) => {
  const record = useRecordContext<Endpoint>();
  const hasKey = editing && record?.hasApiKey;
  return (
    <>
      <FormDataConsumer<EndpointFormValues>>
        {({ formData }) => (
          <PasswordInput
            source="apiKey"
            label="API key"
            autoComplete="new-password"
            disabled={!!formData.removeApiKey}
            helperText={
              hasKey
                ? 'A key is stored (it is never shown). Leave empty to keep it; type a new one to replace it.'
                : 'Optional. Stored encrypted and never shown again.'
            }
            slotProps={{ htmlInput: { 'data-testid': 'endpoint-api-key' } }}
            sx={{ minWidth: 360 }}
          />
        )}
      </FormDataConsumer>
      {hasKey && <BooleanInput source="removeApiKey" label="Remove the stored key" defaultValue={false} data-testid="endpoint-remove-key" />}
    </>
  );
};

/** Create and edit share it; `editing` adds the "leave empty to keep" behaviour of the key. */
export const EndpointForm = ({ editing = false }: { editing?: boolean }) => (
  <SimpleForm data-testid="endpoint-form" defaultValues={editing ? undefined : { purpose: 'teacher', kind: 'openai', maxConcurrency: 4, timeoutMs: 120000 }}>
    <TextInput source="name" label="Name" validate={validateName} />
    <RadioButtonGroupInput source="purpose" label="Purpose" choices={PURPOSES} validate={required()} />
    <SelectInput source="kind" label="Kind" choices={KINDS} validate={required()} />
    <TextInput source="baseUrl" label="Base URL" validate={validateUrl} fullWidth helperText="The OpenAI-compatible root, e.g. http://vllm:8000/v1" />
    <TextInput source="model" label="Model" validate={required()} helperText="The model name the endpoint serves, e.g. meta-llama/Llama-3.3-70B-Instruct" />
    <ApiKeyInputs editing={editing} />
    <Typography variant="subtitle2" sx={{ mt: 1 }}>
      Limits
    </Typography>
    <NumberInput source="maxConcurrency" label="Max concurrent requests" validate={[required(), minValue(1)]} min={1} />
    <NumberInput source="requestsPerMinute" label="Requests per minute" validate={minValue(1)} min={1} helperText="Empty: no limit" />
    <NumberInput source="tokensPerMinute" label="Tokens per minute" validate={minValue(1)} min={1} helperText="Empty: no limit" />
    <NumberInput source="timeoutMs" label="Timeout (ms)" validate={[required(), minValue(1000)]} min={1000} step={1000} />
  </SimpleForm>
);
