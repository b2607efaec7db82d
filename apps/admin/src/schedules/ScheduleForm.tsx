import { Box, Stack, Typography } from '@mui/material';
import { useWatch } from 'react-hook-form';
import { BooleanInput, maxLength, maxValue, minValue, number, NumberInput, regex, required, SelectInput, SimpleForm, TextInput } from 'react-admin';
import { TEACHER_MAX_TOKENS_HELP } from './body';
import { CronInput } from './CronInput';
import { NameSelect } from './NameSelect';

const Section = ({ title, hint, children }: { title: string; hint?: string; children: React.ReactNode }) => (
  <Box sx={{ width: '100%' }}>
    <Typography variant="subtitle1" sx={{ mt: 1 }}>
      {title}
    </Typography>
    {hint && (
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {hint}
      </Typography>
    )}
    {children}
  </Box>
);

const validateName = [required(), maxLength(100), regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit')];
const fraction = [number(), minValue(0), maxValue(1)];
const percent = [number(), minValue(0), maxValue(100)];
const METRICS = [
  { id: 'exact', name: 'Exact match' },
  { id: 'contains', name: 'Contains reference' },
  { id: 'rougeL', name: 'ROUGE-L' },
  { id: 'jsonValid', name: 'Valid JSON' },
  { id: 'regex', name: 'Regex match' },
];

const MinScoreFields = () => {
  const metric = useWatch({ name: 'gate.minScore.metric' }) as string | undefined;
  return (
    <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} sx={{ alignItems: 'center' }}>
      <SelectInput source="gate.minScore.metric" label="Minimum score on" choices={METRICS} emptyText="no score rule" sx={{ minWidth: 220 }} />
      {metric && (
        <>
          <BooleanInput source="gate.minScore.atLeastProduction" label="at least production's score" />
          <NumberInput source="gate.minScore.min" label="and at least" validate={fraction} step={0.05} helperText="0 to 1, optional" />
        </>
      )}
    </Stack>
  );
};

/** The promotion gate's rules (schedules and the pipeline form). */
export const GateInputs = () => (
  <>
    <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
      <NumberInput source="gate.minLossImprovementPct" label="Min loss improvement (%)" validate={percent} helperText="Eval loss at least this much below production's" />
      <NumberInput source="gate.maxRegressionPct" label="Max regression (%)" validate={percent} helperText="No score may drop by more than this" />
    </Stack>
    <MinScoreFields />
    <BooleanInput source="gate.requireProduction" label="Block when there is no production version to compare with" />
  </>
);

/**
 * A schedule: when (cron + time zone, previewed), what (the distillation pipeline template: the
 * latest ready version of each named data set when it fires), the promotion gate and auto-promote.
 */
export const ScheduleForm = ({ edit = false, defaultValues }: { edit?: boolean; defaultValues?: Record<string, unknown> }) => (
  <SimpleForm defaultValues={defaultValues} data-testid="schedule-form">
    <Section title="When">
      <TextInput source="name" label="Name" validate={validateName} disabled={edit} helperText={edit ? 'Names cannot change' : 'e.g. support-monthly'} sx={{ minWidth: 260 }} />
      <CronInput />
      <BooleanInput source="enabled" label="Enabled" helperText="A paused schedule does not fire (trigger now still does)" />
    </Section>
    <Section title="What: the distillation pipeline" hint="Each tick runs teacher generation → training → evaluation on the latest ready version of each data set.">
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <NameSelect source="template.dataset" resource="datasets" label="Prompts data set" helperText="The teacher answers its prompts" />
        <NameSelect source="template.evalDataset" resource="datasets" label="Held-out data set" helperText="With reference answers" />
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <NameSelect source="template.teacher" resource="endpoints" label="Teacher" filter={{ purpose: 'teacher' }} />
        <NameSelect source="template.student" resource="models" label="Student (base model)" />
        <TextInput source="template.adapter" label="Adapter" validate={validateName} helperText="Each run adds a version" sx={{ minWidth: 220 }} />
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <NumberInput source="template.generate.samples" label="Samples per prompt" validate={[number(), minValue(1), maxValue(16)]} />
        <NumberInput source="template.generate.temperature" label="Teacher temperature" validate={[number(), minValue(0), maxValue(2)]} step={0.1} />
        <NumberInput source="template.generate.maxTokens" label="Teacher max tokens" validate={[number(), minValue(1)]} helperText={TEACHER_MAX_TOKENS_HELP} />
        <NumberInput source="template.evaluate.maxTokens" label="Eval max tokens" validate={[number(), minValue(1), maxValue(4096)]} />
        <NumberInput source="template.evaluate.limit" label="Eval prompt limit" validate={[number(), minValue(1)]} helperText="Optional" />
      </Stack>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <SelectInput
          source="template.hyperparameters.method"
          label="Method"
          choices={[
            { id: 'lora', name: 'LoRA' },
            { id: 'qlora', name: 'QLoRA (NF4)' },
          ]}
          sx={{ minWidth: 160 }}
        />
        <NumberInput source="template.hyperparameters.rank" label="Rank" validate={[number(), minValue(1), maxValue(256)]} />
        <NumberInput source="template.hyperparameters.steps" label="Steps" validate={[number(), minValue(1)]} />
        <NumberInput source="template.hyperparameters.batchSize" label="Batch size" validate={[number(), minValue(1)]} />
        <NumberInput source="template.hyperparameters.maxSeqLen" label="Max sequence length" validate={[number(), minValue(8)]} />
        <NumberInput source="template.hyperparameters.lr" label="Learning rate" validate={[number(), minValue(1e-9), maxValue(1)]} step={0.0001} />
      </Stack>
    </Section>
    <Section title="Promotion gate" hint="Checked for the new candidate against the version in production when its evaluation is done.">
      <GateInputs />
      <BooleanInput source="autoPromote" label="Auto-promote to production when the gate passes" />
    </Section>
  </SimpleForm>
);
