import { Stack } from '@mui/material';
import { ArrayInput, Create, maxValue, minValue, number, NumberInput, ReferenceInput, required, SelectInput, SimpleFormIterator, SimpleForm, TextInput, useNotify, useRedirect } from 'react-admin';
import { EVALUATE_DEFAULTS, evaluateBody } from './body';
import { Section, VersionInput } from './RunCreate';

/** "New evaluation": the base model, adapter versions and optionally a teacher on a held-out set. */
export const EvaluateCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      resource="runs"
      title="New evaluation"
      transform={evaluateBody}
      mutationOptions={{
        onSuccess: (run: { id: string }) => {
          notify('Evaluation queued', { type: 'success' });
          redirect('show', 'runs', run.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <SimpleForm defaultValues={EVALUATE_DEFAULTS} data-testid="evaluate-create-form">
        <Section title="What to score">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="baseModel" reference="models" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Base model" optionText="name" validate={required()} sx={{ minWidth: 220 }} />
            </ReferenceInput>
            <ReferenceInput source="teacher" reference="endpoints" filter={{ purpose: 'teacher' }} sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Teacher (optional)" optionText="name" emptyText="none" sx={{ minWidth: 220 }} />
            </ReferenceInput>
          </Stack>
          <ArrayInput source="adapters" label="Adapter versions (name@version)">
            <SimpleFormIterator inline>
              <TextInput source="ref" label="Adapter" helperText="e.g. support-lora@3" />
            </SimpleFormIterator>
          </ArrayInput>
        </Section>
        <Section title="Held-out set">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="dataset" reference="datasets" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Data set" optionText="name" validate={required()} sx={{ minWidth: 220 }} />
            </ReferenceInput>
            <VersionInput datasetSource="dataset" source="datasetVersion" label="Version" />
            <NumberInput source="maxTokens" label="Max tokens per answer" validate={[number(), minValue(1), maxValue(4096)]} />
            <NumberInput source="limit" label="Prompt limit" validate={[number(), minValue(1)]} helperText="Optional" />
            <TextInput source="regex" label="Also count answers matching" helperText="Optional regular expression" />
          </Stack>
        </Section>
      </SimpleForm>
    </Create>
  );
};
