import { Stack } from '@mui/material';
import { BooleanInput, Create, maxValue, minValue, number, NumberInput, ReferenceInput, required, SelectInput, SimpleForm, TextInput, useNotify, useRedirect } from 'react-admin';
import { prune, TEACHER_MAX_TOKENS_HELP } from '../schedules/body';
import { GateInputs } from '../schedules/ScheduleForm';
import { formHyperparameters, PIPELINE_FORM_HYPERPARAMETERS } from './hyperparameter-defaults';
import { MemoryEstimate } from './MemoryEstimate';
import { int, Section, validateAdapter, VersionInput } from './RunCreate';

export const PIPELINE_DEFAULTS = {
  generate: { samples: 1, temperature: 0.7 },
  hyperparameters: formHyperparameters(PIPELINE_FORM_HYPERPARAMETERS),
  evaluate: { maxTokens: 64 },
  evaluateTeacher: true,
  autoPromote: false,
  gate: { minScore: { atLeastProduction: true } },
};

/** The `POST /runs` body of a distillation pipeline: form-only fields dropped, empty values pruned. */
export function pipelineBody(values: Record<string, any>): Record<string, unknown> {
  const { promptsDataset: _p, evalDataset: _e, ...rest } = values;
  const body = prune({ ...rest, kind: 'pipeline' }) as Record<string, any>;
  const gate = body.gate ?? {};
  if (gate.minScore && !gate.minScore.metric) delete gate.minScore;
  if (gate.requireProduction === false) delete gate.requireProduction;
  if (Object.keys(gate).length) body.gate = gate;
  else delete body.gate;
  return body;
}

/**
 * "New distillation": teacher generation on a prompt set → training of the student on the kept
 * answers → evaluation on a held-out set (base, candidate, production, teacher), as one pipeline run.
 */
export const PipelineCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      resource="runs"
      title="New distillation (pipeline)"
      transform={pipelineBody}
      mutationOptions={{
        onSuccess: (run: { id: string }) => {
          notify('Distillation pipeline queued', { type: 'success' });
          redirect('show', 'runs', run.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <SimpleForm defaultValues={PIPELINE_DEFAULTS} data-testid="pipeline-create-form">
        <Section title="1. Teacher generation">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="teacher" reference="endpoints" filter={{ purpose: 'teacher' }} sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Teacher" optionText="name" validate={required()} sx={{ minWidth: 220 }} />
            </ReferenceInput>
            <ReferenceInput source="promptsDataset" reference="datasets" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Prompts" optionText="name" validate={required()} sx={{ minWidth: 220 }} />
            </ReferenceInput>
            <VersionInput datasetSource="promptsDataset" source="prompts" label="Prompts version" />
          </Stack>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <NumberInput source="generate.samples" label="Samples per prompt" validate={[number(), minValue(1), maxValue(16)]} />
            <NumberInput source="generate.temperature" label="Temperature" validate={[number(), minValue(0), maxValue(2)]} step={0.1} />
            <NumberInput source="generate.maxTokens" label="Max tokens" validate={[number(), minValue(1)]} helperText={TEACHER_MAX_TOKENS_HELP} />
            <SelectInput
              source="generate.reasoning"
              label="Reasoning"
              emptyText="default (strip)"
              choices={[
                { id: 'strip', name: 'Strip <think> blocks' },
                { id: 'keep', name: 'Keep them in the target' },
              ]}
              sx={{ minWidth: 200 }}
            />
            <TextInput source="outputDataset" label="Output data set" helperText="Default <adapter>-synthetic" />
          </Stack>
        </Section>
        <Section title="2. Training">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="student" reference="models" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Student (base model)" optionText="name" validate={required()} sx={{ minWidth: 240 }} />
            </ReferenceInput>
            <TextInput source="adapter" label="Adapter name" validate={validateAdapter} sx={{ minWidth: 240 }} />
          </Stack>
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
            <NumberInput source="hyperparameters.rank" label="Rank (r)" validate={int(1, 256)} />
            <NumberInput source="hyperparameters.alpha" label="Alpha" validate={[required(), minValue(0.0001)]} />
            <NumberInput source="hyperparameters.lr" label="Learning rate" validate={[required(), minValue(1e-9), maxValue(1)]} step={0.0001} />
          </Stack>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <NumberInput source="hyperparameters.steps" label="Steps" validate={int(1, 1_000_000)} />
            <NumberInput source="hyperparameters.batchSize" label="Batch size" validate={int(1, 1024)} />
            <NumberInput source="hyperparameters.maxSeqLen" label="Max sequence length" validate={int(8, 131072)} />
          </Stack>
          <BooleanInput source="hyperparameters.gradientCheckpointing" label="Gradient checkpointing" helperText="recompute each layer in the backward pass: far less memory, about 1.4× the time" />
          <MemoryEstimate modelSource="student" />
        </Section>
        <Section title="3. Evaluation and promotion">
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
            <ReferenceInput source="evalDataset" reference="datasets" sort={{ field: 'name', order: 'ASC' }} perPage={100}>
              <SelectInput label="Held-out data set" optionText="name" validate={required()} sx={{ minWidth: 220 }} />
            </ReferenceInput>
            <VersionInput datasetSource="evalDataset" source="evalDatasetVersion" label="Held-out version" />
            <NumberInput source="evaluate.maxTokens" label="Eval max tokens" validate={[number(), minValue(1), maxValue(4096)]} />
            <NumberInput source="evaluate.limit" label="Eval prompt limit" validate={[number(), minValue(1)]} helperText="Optional" />
          </Stack>
          <BooleanInput source="evaluateTeacher" label="Score the teacher's answers on the held-out set too" />
          <GateInputs />
          <BooleanInput source="autoPromote" label="Promote the candidate to production when the gate passes" />
        </Section>
      </SimpleForm>
    </Create>
  );
};
