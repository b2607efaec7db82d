import { AnswerText } from '../lib/AnswerText';
import Send from '@mui/icons-material/Send';
import DeleteSweep from '@mui/icons-material/DeleteSweep';
import { Alert, Box, Button, Card, CardContent, CircularProgress, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { Title, useDataProvider, useGetList } from 'react-admin';
import type { Adapter } from '../adapters/types';
import { servedAs } from '../adapters/StageActions';
import type { RetortDataProvider } from '../dataProvider';
import type { Endpoint } from '../endpoints/types';
import type { ChatMessage, ChatReply } from './types';

interface Turn {
  user: string;
  reply?: ChatReply;
  error?: string;
  pending?: boolean;
}

/** The messages a column sends: the system prompt, then its own earlier turns, then the new prompt. */
export function conversation(system: string, turns: Turn[], prompt: string): ChatMessage[] {
  const messages: ChatMessage[] = system.trim() ? [{ role: 'system', content: system.trim() }] : [];
  for (const t of turns) {
    if (!t.reply) continue;
    messages.push({ role: 'user', content: t.user }, { role: 'assistant', content: t.reply.content });
  }
  messages.push({ role: 'user', content: prompt });
  return messages;
}

/** Model names an endpoint may serve: its base model, and each promoted adapter's stage alias. */
export function modelChoices(endpoint: Endpoint | undefined, adapters: Adapter[]): string[] {
  const names = endpoint ? [endpoint.model] : [];
  for (const a of adapters) {
    if (a.stages?.production !== undefined) names.push(servedAs(a.name, 'production'));
    if (a.stages?.staging !== undefined) names.push(servedAs(a.name, 'staging'));
  }
  return [...new Set(names)];
}

const Column = ({ model, turns, testId }: { model: string; turns: Turn[]; testId: string }) => (
  <Card variant="outlined" sx={{ flex: 1, minWidth: 0 }} data-testid="playground-column" data-column={testId} data-model={model}>
    <CardContent>
      <Typography variant="subtitle2" sx={{ fontFamily: 'monospace', mb: 1 }}>
        {model || '(no model)'}
      </Typography>
      {turns.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          No messages yet.
        </Typography>
      )}
      <Stack spacing={1.5}>
        {turns.map((t, i) => (
          <Box key={i}>
            <Typography variant="body2" sx={{ bgcolor: 'action.hover', p: 1, borderRadius: 1, whiteSpace: 'pre-wrap' }}>
              {t.user}
            </Typography>
            {t.pending && <CircularProgress size={18} sx={{ mt: 1 }} />}
            {t.error && (
              <Alert severity="error" sx={{ mt: 1 }} data-testid="playground-error">
                {t.error}
              </Alert>
            )}
            {t.reply && (
              <Box sx={{ mt: 1 }} data-testid="playground-reply" data-model={model} data-finish={t.reply.finishReason ?? ''}>
                <Typography variant="body2" sx={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace' }} data-testid="playground-reply-content">
                  <AnswerText text={t.reply.content} />
                </Typography>
                <Typography variant="caption" color="text.secondary">
                  {t.reply.latencyMs} ms
                  {t.reply.usage?.completion_tokens !== undefined ? ` · ${t.reply.usage.completion_tokens} tokens` : ''}
                  {t.reply.finishReason ? ` · ${t.reply.finishReason}` : ''}
                </Typography>
              </Box>
            )}
          </Box>
        ))}
      </Stack>
    </CardContent>
  </Card>
);

/**
 * The playground: one serving endpoint, two models side by side (the base model and an adapter's
 * alias, or any name the endpoint serves); each prompt goes to both, each column keeps its own
 * conversation. Calls `POST /playground/chat`, so endpoint keys stay on the server.
 */
export const PlaygroundPage = () => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const { data: endpoints } = useGetList<Endpoint>('endpoints', { pagination: { page: 1, perPage: 100 }, sort: { field: 'name', order: 'ASC' } });
  const { data: adapters } = useGetList<Adapter>('adapters', { pagination: { page: 1, perPage: 100 }, sort: { field: 'name', order: 'ASC' } });
  const [endpointId, setEndpointId] = useState('');
  const endpoint = (endpoints ?? []).find((e) => e.id === endpointId);
  const choices = useMemo(() => modelChoices(endpoint, adapters ?? []), [endpoint, adapters]);
  const [models, setModels] = useState<[string, string]>(['', '']);
  const [columns, setColumns] = useState<[Turn[], Turn[]]>([[], []]);
  const [prompt, setPrompt] = useState('');
  const [system, setSystem] = useState('');
  const [maxTokens, setMaxTokens] = useState(64);
  const [temperature, setTemperature] = useState(0);

  // Serving endpoints first; the first one is picked on arrival.
  const sorted = useMemo(() => [...(endpoints ?? [])].sort((a, b) => (a.purpose === b.purpose ? 0 : a.purpose === 'serving' ? -1 : 1)), [endpoints]);
  useEffect(() => {
    if (!endpointId && sorted.length) setEndpointId(sorted[0].id);
  }, [endpointId, sorted]);
  useEffect(() => {
    if (!endpoint) return;
    setModels([endpoint.model, choices.find((c) => c !== endpoint.model) ?? '']);
    setColumns([[], []]);
  }, [endpoint?.id, choices.length]); // a new endpoint (or newly promoted adapters) resets the columns

  const busy = columns.some((c) => c.some((t) => t.pending));
  const send = async () => {
    const text = prompt.trim();
    if (!endpoint || !text) return;
    setPrompt('');
    const histories = columns;
    setColumns(([a, b]) => [
      [...a, { user: text, pending: true }],
      [...b, { user: text, pending: true }],
    ]);
    await Promise.all(
      ([0, 1] as const).map(async (i) => {
        let turn: Turn;
        try {
          const { data } = await dataProvider.playgroundChat({ endpoint: endpoint.id, model: models[i] || undefined, messages: conversation(system, histories[i], text), maxTokens, temperature });
          turn = { user: text, reply: data };
        } catch (e) {
          turn = { user: text, error: e instanceof Error ? e.message : String(e) };
        }
        setColumns((cols) => {
          const next: [Turn[], Turn[]] = [cols[0], cols[1]];
          next[i] = [...cols[i].slice(0, -1), turn];
          return next;
        });
      }),
    );
  };

  return (
    <Box sx={{ p: 2 }} data-testid="playground-page">
      <Title title="Playground" />
      <Stack spacing={2}>
        {endpoints && endpoints.length === 0 && <Alert severity="info">No endpoints yet: an admin adds a serving endpoint (retort serve or vLLM) under Endpoints.</Alert>}
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
          <TextField select label="Endpoint" value={endpointId} onChange={(e) => setEndpointId(e.target.value)} sx={{ minWidth: 240 }} slotProps={{ htmlInput: { 'data-testid': 'playground-endpoint' } }}>
            {sorted.map((e) => (
              <MenuItem key={e.id} value={e.id}>
                {e.name} ({e.purpose})
              </MenuItem>
            ))}
          </TextField>
          {([0, 1] as const).map((i) => (
            <TextField
              key={i}
              label={i === 0 ? 'Left model' : 'Right model'}
              value={models[i]}
              onChange={(e) => {
                const next: [string, string] = [models[0], models[1]];
                next[i] = e.target.value;
                setModels(next);
              }}
              helperText={i === 0 ? 'e.g. the base model' : 'e.g. an adapter: its production name'}
              sx={{ minWidth: 220 }}
              slotProps={{ htmlInput: { list: 'playground-models', 'data-testid': `playground-model-${i === 0 ? 'a' : 'b'}` } }}
            />
          ))}
          <datalist id="playground-models">
            {choices.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
          <TextField type="number" label="Max tokens" value={maxTokens} onChange={(e) => setMaxTokens(Math.max(1, Math.min(2048, Number(e.target.value) || 1)))} sx={{ width: 120, flexShrink: 0 }} />
          <TextField type="number" label="Temperature" value={temperature} onChange={(e) => setTemperature(Math.max(0, Math.min(2, Number(e.target.value) || 0)))} slotProps={{ htmlInput: { step: 0.1 } }} sx={{ width: 120, flexShrink: 0 }} />
        </Stack>
        <TextField label="System prompt" value={system} onChange={(e) => setSystem(e.target.value)} placeholder="Optional" fullWidth size="small" />
        <Stack direction="row" spacing={2} sx={{ alignItems: 'stretch' }}>
          <Column model={models[0]} turns={columns[0]} testId="a" />
          <Column model={models[1]} turns={columns[1]} testId="b" />
        </Stack>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'flex-start' }}>
          <TextField
            label="Message both"
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
            multiline
            maxRows={6}
            fullWidth
            slotProps={{ htmlInput: { 'data-testid': 'playground-prompt' } }}
          />
          <Button variant="contained" onClick={() => void send()} disabled={busy || !endpoint || !prompt.trim()} startIcon={<Send />} data-testid="playground-send" sx={{ height: 56 }}>
            Send
          </Button>
          <Button onClick={() => setColumns([[], []])} disabled={busy} startIcon={<DeleteSweep />} sx={{ height: 56 }}>
            Clear
          </Button>
        </Stack>
      </Stack>
    </Box>
  );
};
