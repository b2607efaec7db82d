import type { Hyperparameters } from '@retort/contracts';
import { Fact } from '../lib/panels';

/** A training run's hyperparameters as facts (a train run's page, a pipeline's configuration). */
export const HyperparameterFacts = ({ hp }: { hp: Hyperparameters }) => (
  <>
    <Fact label="Method">{hp.method === 'qlora' ? 'QLoRA (NF4)' : 'LoRA'}</Fact>
    <Fact label="Rank / alpha">
      {hp.rank} / {hp.alpha}
      {hp.rslora ? ' (rsLoRA)' : ''}
    </Fact>
    <Fact label="Steps × batch">
      {hp.steps} × {hp.batchSize}
      {hp.gradAccum > 1 ? ` × ${hp.gradAccum} accum` : ''}
    </Fact>
    <Fact label="Learning rate">
      {hp.lr} ({hp.schedule}, {hp.warmupSteps} warmup)
    </Fact>
    <Fact label="Max sequence">{hp.maxSeqLen}</Fact>
  </>
);
