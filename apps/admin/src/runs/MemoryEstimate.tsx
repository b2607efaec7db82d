import { Alert, Box, Chip, Stack, Table, TableBody, TableCell, TableRow, Typography } from '@mui/material';
import { fitPoolsFor, formatBytes, HYPERPARAMETER_DEFAULTS, planMemory, trainingPlanInput, type MemoryPlan, type ModelConfigLike, type PlanInput } from '@retort/contracts';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useWatch } from 'react-hook-form';
import { useDataProvider, useGetOne } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import type { BaseModel } from '../models/types';

const PARTS: { key: keyof MemoryPlan['bytes']; label: string }[] = [
  { key: 'weights', label: 'Base weights' },
  { key: 'lora', label: 'LoRA A and B' },
  { key: 'optimizer', label: 'AdamW state' },
  { key: 'gradients', label: 'Gradients' },
  { key: 'activations', label: 'Activations' },
  { key: 'kvCache', label: 'KV cache' },
  { key: 'overhead', label: 'Transient peak' },
];

/** The planner's estimate for one training step, or why there is none (pure, for tests). */
export function estimate(config: ModelConfigLike | undefined, hp: { method?: string; maxSeqLen?: unknown; batchSize?: unknown; rank?: unknown; gradientCheckpointing?: unknown }): { plan?: MemoryPlan; input?: PlanInput; error?: string } {
  if (!config) return { error: 'Pick a base model to see the estimate.' };
  const seq = Number(hp.maxSeqLen);
  const batch = Number(hp.batchSize);
  const rank = Number(hp.rank);
  if (!(seq > 0) || !(batch > 0) || !(rank > 0)) return { error: 'Enter the batch size, sequence length and rank.' };
  try {
    const hyperparameters = { ...HYPERPARAMETER_DEFAULTS, method: hp.method === 'qlora' ? ('qlora' as const) : ('lora' as const), maxSeqLen: seq, batchSize: batch, rank, gradientCheckpointing: hp.gradientCheckpointing === true };
    const input = trainingPlanInput(config, hyperparameters);
    return { plan: planMemory(input), input };
  } catch (e) {
    return { error: `The planner cannot read this model's config: ${(e as Error).message}` };
  }
}

/**
 * The memory planner (contracts, the same code the API checks runs with) for the chosen model,
 * method, max sequence length, batch and rank, and the training worker pools (`GET /workers`) that
 * can hold it.
 */
export const MemoryEstimate = ({ modelSource = 'baseModel', hyperparametersSource = 'hyperparameters' }: { modelSource?: string; hyperparametersSource?: string }) => {
  const modelId = useWatch({ name: modelSource }) as string | undefined;
  const hp = (useWatch({ name: hyperparametersSource }) ?? {}) as Record<string, unknown>;
  const { data: model } = useGetOne<BaseModel>('models', { id: modelId ?? '' }, { enabled: !!modelId });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const { data: workers } = useQuery({ queryKey: ['workers'], queryFn: () => dataProvider.getWorkers().then((r) => r.data), refetchInterval: 15000 });
  const config = model && model.id === modelId ? (model.config as ModelConfigLike) : undefined;
  const { method, maxSeqLen, batchSize, rank, gradientCheckpointing } = hp;
  const { plan, input, error } = useMemo(
    () => estimate(config, { method: method as string, maxSeqLen, batchSize, rank, gradientCheckpointing }),
    [config, method, maxSeqLen, batchSize, rank, gradientCheckpointing],
  );
  const pools = workers?.trainPools ?? [];
  // Each pool judged by the plan for it (a wasm pool with its frozen weights on the host: the API's check).
  const fit = input ? fitPoolsFor(input, pools).fit : undefined;
  if (!plan) {
    return (
      <Alert severity="info" variant="outlined" data-testid="memory-estimate" data-state="none" sx={{ my: 1, maxWidth: 720 }}>
        <Typography variant="subtitle2">Memory estimate</Typography>
        {error}
      </Alert>
    );
  }
  const state = !workers ? 'unknown' : pools.length === 0 ? 'no-workers' : fit!.fits.length ? 'fits' : 'too-big';
  const severity = state === 'fits' ? 'success' : state === 'too-big' ? 'error' : 'warning';
  return (
    <Alert severity={severity} variant="outlined" data-testid="memory-estimate" data-state={state} data-total-bytes={plan.bytes.total} sx={{ my: 1, maxWidth: 720 }}>
      <Typography variant="subtitle2">
        Memory estimate: <span data-testid="memory-total">{formatBytes(plan.bytes.total)}</span> per training step
      </Typography>
      <Table size="small" sx={{ maxWidth: 420, my: 0.5, '& td': { py: 0.25, border: 0 } }} aria-label="Memory by part">
        <TableBody>
          {PARTS.filter((p) => plan.bytes[p.key] > 0).map((p) => (
            <TableRow key={p.key}>
              <TableCell>{p.label}</TableCell>
              <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                {formatBytes(plan.bytes[p.key])}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Typography variant="caption" color="text.secondary" component="div">
        {plan.params.base.toLocaleString()} base parameters, {plan.params.lora.toLocaleString()} LoRA parameters ({plan.input.method === 'qlora' ? 'NF4 base' : 'fp32 base'}
        , batch {plan.input.batch} × {plan.input.seq} tokens, rank {plan.input.rank}).
      </Typography>
      <Box sx={{ mt: 1 }} data-testid="memory-fit">
        {state === 'unknown' && <Typography variant="body2">Checking the worker pools…</Typography>}
        {state === 'no-workers' && <Typography variant="body2">No training worker is online; the run waits in the queue until one starts.</Typography>}
        {state === 'fits' && (
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
            <Typography variant="body2">Fits on</Typography>
            {fit!.fits.map((p) => (
              <Chip key={p.name} size="small" color="success" variant="outlined" label={`${p.name} (${pools.find((x) => x.name === p.name)?.workers ?? 0} worker${pools.find((x) => x.name === p.name)?.workers === 1 ? '' : 's'})`} data-testid="memory-pool" />
            ))}
          </Stack>
        )}
        {state === 'too-big' && (
          <Typography variant="body2">
            No worker pool holds it: the largest, {fit!.largest?.name}, has {formatBytes(fit!.largest?.usableBytes ?? 0)}. Lower the batch size or sequence length, use QLoRA, or add a bigger
            worker; the API refuses the run.
          </Typography>
        )}
      </Box>
    </Alert>
  );
};
