import { Box, Stack, Typography } from '@mui/material';
import { useEffect } from 'react';
import { useFormContext, useWatch } from 'react-hook-form';
import {
  BooleanInput,
  Create,
  maxLength,
  maxValue,
  minValue,
  NumberInput,
  number,
  ReferenceInput,
  regex,
  required,
  SelectInput,
  SimpleForm,
  TextInput,
  useGetOne,
  useNotify,
  useRedirect,
} from 'react-admin';
import type { Dataset } from '../datasets/types';
import { RUN_DEFAULTS, runBody } from './body';
import { MemoryEstimate } from './MemoryEstimate';

/** The chosen dataset's ready versions; picks the newest when the dataset changes. */
export const VersionInput = ({ datasetSource = 'datasetId', source = 'datasetVersion', label = 'Version' }: { datasetSource?: string; source?: string; label?: string }) => {
  const datasetId = useWatch({ name: datasetSource }) as string | undefined;
  const current = useWatch({ name: source }) as string | undefined;
  const { setValue } = useFormContext();
  const { data: dataset } = useGetOne<Dataset>('datasets', { id: datasetId ?? '' }, { enabled: !!datasetId });
  const ready = (dataset?.versions ?? []).filter((v) => v.status === 'ready');
  useEffect(() => {
    if (!dataset || dataset.id !== datasetId) return;
    if (!current || !ready.some((v) => v.id === current)) setValue(source, ready[0]?.id ?? '', { shouldDirty: true });
  }, [dataset, datasetId, current, ready, setValue, source]);
  return (
    <SelectInput
      source={source}
      label={label}
      validate={required()}
      disabled={!datasetId}
      choices={ready.map((v) => ({ id: v.id, name: `v${v.version} · ${(v.records ?? 0).toLocaleString()} records` }))}
      helperText={datasetId && dataset && ready.length === 0 ? 'This dataset has no ready version yet' : 'Ready versions, newest first'}
      sx={{ minWidth: 240 }}
    />
  );
};

export const Section = ({ title, children }: { title: string; children: React.ReactNode }) => (
  <Box sx={{ width: '100%' }}>
    <Typography variant="subtitle1" sx={{ mt: 1, mb: 0.5 }}>
      {title}
    </Typography>
    {children}
  </Box>
);

export const validateAdapter = [required(), maxLength(100), regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit')];
export const int = (min: number, max: number) => [required(), number(), minValue(min), maxValue(max)];

/**
 * "New training run": model, dataset + version, adapter name, method and the main
 * hyperparameters. The API validates again and answers 202 with the queued run.
 */
export const RunCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      title="New training run"
      transform={runBody}
      mutationOptions={{
        onSuccess: (run: { id: string }) => {
          notify('Training run queued', { type: 'success' });
          redirect('show', 'runs', run.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <SimpleForm defaultValues={RUN_DEFAULTS} data-testid="run-create-form">
        <Section title="What to train">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="baseModel" reference="models" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Base model" optionText="name" validate={required()} sx={{ minWidth: 240 }} />
            </ReferenceInput>
            <ReferenceInput source="datasetId" reference="datasets" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Dataset" optionText="name" validate={required()} sx={{ minWidth: 240 }} />
            </ReferenceInput>
            <VersionInput />
          </Stack>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <TextInput source="adapter" label="Adapter name" validate={validateAdapter} helperText="A new version of this adapter is registered when the run succeeds" sx={{ minWidth: 240 }} />
            <TextInput source="tag" label="Train on tag" helperText="Optional: only records with this tag, e.g. split:train" />
            <TextInput source="evalTag" label="Evaluate on tag" helperText="Optional: records of the same version with this tag, e.g. split:eval" />
          </Stack>
        </Section>
        <Section title="Method and hyperparameters">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <SelectInput
              source="hyperparameters.method"
              label="Method"
              validate={required()}
              choices={[
                { id: 'lora', name: 'LoRA (fp32 base)' },
                { id: 'qlora', name: 'QLoRA (NF4 base)' },
              ]}
              sx={{ minWidth: 200 }}
            />
            <NumberInput source="hyperparameters.rank" label="Rank (r)" validate={int(1, 256)} min={1} max={256} />
            <NumberInput source="hyperparameters.alpha" label="Alpha" validate={[required(), minValue(0.0001)]} />
            <NumberInput source="hyperparameters.lr" label="Learning rate" validate={[required(), minValue(1e-9), maxValue(1)]} step={0.0001} />
          </Stack>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <NumberInput source="hyperparameters.steps" label="Steps" validate={int(1, 1_000_000)} min={1} />
            <NumberInput source="hyperparameters.batchSize" label="Batch size" validate={int(1, 1024)} min={1} />
            <NumberInput source="hyperparameters.maxSeqLen" label="Max sequence length" validate={int(8, 131072)} min={8} />
            <NumberInput source="hyperparameters.warmupSteps" label="Warmup steps" validate={[number(), minValue(0)]} min={0} />
          </Stack>
          <BooleanInput source="hyperparameters.gradientCheckpointing" label="Gradient checkpointing" helperText="recompute each layer in the backward pass: far less memory, about 1.4× the time" />
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <NumberInput source="hyperparameters.saveEvery" label="Checkpoint every (steps)" validate={[number(), minValue(0)]} min={0} helperText="0: only at the end" />
            <NumberInput source="hyperparameters.evalEvery" label="Evaluate every (steps)" validate={[number(), minValue(0)]} min={0} helperText="0: only at the end" />
            <NumberInput
              source="hyperparameters.evalFraction"
              label="Eval fraction"
              validate={[number(), minValue(0), maxValue(0.5)]}
              step={0.05}
              helperText="Held out of the training data when no eval tag is given"
            />
          </Stack>
        </Section>
        <MemoryEstimate />
      </SimpleForm>
    </Create>
  );
};
