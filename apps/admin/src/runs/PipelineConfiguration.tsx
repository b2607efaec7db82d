import { Typography } from '@mui/material';
import { ReferenceField, TextField } from 'react-admin';
import type { GenerateRunConfig, EvaluateRunConfig, GateRulesDto, Hyperparameters } from '@retort/contracts';
import { VersionLink } from '../datasets/VersionLink';
import { Fact, Facts } from '../lib/panels';
import { describeGate } from '../schedules/gate';
import { HyperparameterFacts } from './HyperparameterFacts';
import type { Run } from './types';
import { usePipelineSteps } from './usePipelineSteps';

const Section = ({ title, children, testId }: { title: string; children: React.ReactNode; testId: string }) => (
  <div data-testid={testId}>
    <Typography variant="overline" color="text.secondary" component="div">
      {title}
    </Typography>
    <Facts>{children}</Facts>
  </div>
);

/** The name of what a step's config refers to (its teacher endpoint, its base model), linked. */
const NameOf = ({ step, source, reference }: { step: Run | undefined; source: `config.${string}`; reference: string }) =>
  step ? (
    <ReferenceField record={step} source={source} reference={reference} link="show" emptyText="—">
      <TextField source="name" />
    </ReferenceField>
  ) : (
    '…'
  );

/**
 * What a pipeline was asked to do, read from its steps' configs (the pipeline's own config only
 * lists the steps): teacher, prompts, student, adapter, the generate, training and evaluate
 * settings, the gate and auto-promote.
 */
export const PipelineConfiguration = ({ run }: { run: Run }) => {
  const steps = usePipelineSteps(run);
  const stepRun = (name: string) => steps.find((s) => s.name === name)?.run;
  const generate = stepRun('generate');
  const train = stepRun('train');
  const evaluate = stepRun('evaluate');
  const g = generate?.config as Partial<GenerateRunConfig> | undefined;
  const hp = train?.config.hyperparameters as Hyperparameters | undefined;
  const e = evaluate?.config as Partial<EvaluateRunConfig> | undefined;
  const gate = describeGate(e?.gate as GateRulesDto | undefined);
  return (
    <div data-testid="run-config" data-kind="pipeline">
      <Section title="Models and data" testId="pipeline-config-inputs">
        <Fact label="Teacher" testId="pipeline-teacher">
          <NameOf step={generate} source="config.teacherEndpointId" reference="endpoints" />
        </Fact>
        <Fact label="Prompts">{g?.datasetVersionId ? <VersionLink id={g.datasetVersionId} /> : '…'}</Fact>
        <Fact label="Student" testId="pipeline-student">
          <NameOf step={train} source="config.baseModelId" reference="models" />
        </Fact>
        <Fact label="Adapter" testId="pipeline-adapter">
          {train?.config.adapterName ?? '…'}
        </Fact>
        <Fact label="Held-out data">{e?.datasetVersionId ? <VersionLink id={e.datasetVersionId} /> : '…'}</Fact>
      </Section>
      {g && (
        <Section title="Teacher generation" testId="pipeline-config-generate">
          <Fact label="Output data set">{g.outputDataset}</Fact>
          <Fact label="Samples per prompt">{g.samples}</Fact>
          <Fact label="Max tokens" testId="pipeline-generate-max-tokens">
            {g.maxTokens}
          </Fact>
          <Fact label="Temperature / top-p">
            {g.temperature} / {g.topP}
          </Fact>
          <Fact label="Reasoning">{g.reasoning}</Fact>
          {typeof g.logprobs === 'number' && <Fact label="Top-k logprobs">{g.logprobs}</Fact>}
        </Section>
      )}
      {hp && (
        <Section title="Training" testId="pipeline-config-train">
          <HyperparameterFacts hp={hp} />
        </Section>
      )}
      {e && (
        <Section title="Evaluation and promotion" testId="pipeline-config-evaluate">
          <Fact label="Max tokens">{e.maxTokens}</Fact>
          {typeof e.limit === 'number' && <Fact label="Prompts scored">{e.limit}</Fact>}
          {e.regex && <Fact label="Answer regex">{e.regex}</Fact>}
          <Fact label="Gate" testId="pipeline-gate">
            {gate.length ? gate.join('; ') : 'no rules'}
          </Fact>
          <Fact label="Auto-promote" testId="pipeline-auto-promote">
            {run.config.autoPromote ? 'yes, when the gate passes' : 'no'}
          </Fact>
        </Section>
      )}
    </div>
  );
};
