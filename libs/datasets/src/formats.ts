/**
 * Input formats and their normalisation to the canonical ChatRecord. Hand-written checks rather
 * than a schema library: this runs once per line of uploads of millions of lines.
 *
 * - chat:     {messages: [{role: system|user|assistant, content, weight?: 0|1}]}; a `{prompt}` line
 *             is accepted too, as a conversation of one user turn.
 * - alpaca:   {instruction, input?, output?, system?}; the user turn is the instruction, followed
 *             by the input after a blank line when there is one; output becomes the assistant turn.
 * - sharegpt: {conversations: [{from, value, weight?}], system?}; human/user → user,
 *             gpt/assistant/chatgpt → assistant, system → system.
 * - prompt:   {prompt, system?}, or {messages} ending with a user turn (distillation inputs).
 *
 * `tags` (an array of strings) becomes the record's tags; every other top-level field is kept in
 * `meta`, and an explicit `meta` object wins over a top-level field of the same name.
 */
import { CHAT_ROLES, type ChatMessage, type ChatRecord, type ChatRole, type RecordIssue } from './canonical';

export const RECORD_FORMATS = ['chat', 'alpaca', 'sharegpt', 'prompt'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];
export type FormatOption = RecordFormat | 'auto';

/** The key that marks each format, in the order detection tries them. */
export const FORMAT_KEYS: Record<RecordFormat, string> = { chat: 'messages', sharegpt: 'conversations', alpaca: 'instruction', prompt: 'prompt' };

export interface Normalized {
  record: ChatRecord;
  format: RecordFormat;
  /** The source path of each canonical message's role, for errors found after normalisation. */
  rolePaths: string[];
  /** Where a missing turn is reported (`messages`, `conversations`, `output`, `prompt`). */
  listPath: string;
}

export type NormalizeResult = Normalized | { issues: RecordIssue[] };

const SHAREGPT_ROLES: Record<string, ChatRole> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', chatgpt: 'assistant', system: 'system' };
const ROLE_LIST = CHAT_ROLES.join(', ');
const NON_SPACE = /\S/;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The format a parsed line looks like, from the keys it has; null when it has none of them. */
export function detectFormat(value: unknown): RecordFormat | null {
  if (!isObject(value)) return null;
  for (const format of ['chat', 'sharegpt', 'alpaca', 'prompt'] as const) if (FORMAT_KEYS[format] in value) return format;
  return null;
}

/**
 * Normalises one parsed line. With 'auto' the line's keys pick the format; with a given format a
 * line of another format is an error, which names the expected format and `expectedFrom`
 * (e.g. "detected from line 1").
 */
export function normalizeRecord(value: unknown, format: FormatOption, expectedFrom = 'declared'): NormalizeResult {
  if (!isObject(value)) return single('', 'expected a JSON object');
  const own = detectFormat(value);
  if (format === 'auto') {
    if (own === null) {
      const keys = RECORD_FORMATS.map((f) => `"${FORMAT_KEYS[f]}" (${f})`);
      return single('', `unknown record format: expected one of ${keys.join(', ')}`);
    }
    format = own;
  } else if (own !== null && own !== format && !(isOpenAi(own) && isOpenAi(format))) {
    return single('', `${article(own)} ${own} record in ${article(format)} ${format} file: expected "${FORMAT_KEYS[format]}" (the format ${expectedFrom})`);
  }
  const issues: RecordIssue[] = [];
  const out = normalizeAs(value, format, own, issues);
  return issues.length || !out ? { issues } : out;
}

const single = (path: string, message: string): NormalizeResult => ({ issues: [{ path, message }] });
const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
const isOpenAi = (f: RecordFormat) => f === 'chat' || f === 'prompt';

function normalizeAs(value: Obj, format: RecordFormat, own: RecordFormat | null, issues: RecordIssue[]): Normalized | null {
  if (format === 'alpaca') return alpaca(value, issues);
  if (format === 'sharegpt') return sharegpt(value, issues);
  if (format === 'chat') return own === 'prompt' ? prompt(value, 'chat', issues) : chat(value, 'chat', issues);
  if (own !== 'chat') return prompt(value, 'prompt', issues);
  const out = chat(value, 'prompt', issues);
  const last = out?.record.messages.at(-1);
  if (out && last && last.role !== 'user') {
    issues.push({ path: out.rolePaths.at(-1)!, message: `a prompt record must end with a user turn (found ${last.role})` });
  }
  return out;
}

function chat(value: Obj, format: RecordFormat, issues: RecordIssue[]): Normalized | null {
  const list = value.messages;
  const messages: ChatMessage[] = [];
  const rolePaths: string[] = [];
  if (!checkList(list, 'messages', issues)) return finish(value, CHAT_KEYS, messages, format, rolePaths, 'messages', issues);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const path = `messages[${i}]`;
    if (!isObject(m)) {
      issues.push({ path, message: 'expected an object' });
      continue;
    }
    let role = m.role as ChatRole;
    if (role === undefined) issues.push({ path: `${path}.role`, message: 'role is required' });
    else if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      issues.push({ path: `${path}.role`, message: `role must be one of ${ROLE_LIST}` });
      role = 'user';
    }
    const content = text(m.content, `${path}.content`, 'content', issues);
    messages.push(message(role, content, m.weight, `${path}.weight`, issues));
    rolePaths.push(`${path}.role`);
  }
  return finish(value, CHAT_KEYS, messages, format, rolePaths, 'messages', issues);
}

function sharegpt(value: Obj, issues: RecordIssue[]): Normalized | null {
  const list = value.conversations;
  const messages: ChatMessage[] = [];
  const rolePaths: string[] = [];
  systemField(value, messages, rolePaths, issues);
  if (!checkList(list, 'conversations', issues)) return finish(value, SHAREGPT_KEYS, messages, 'sharegpt', rolePaths, 'conversations', issues);
  for (let i = 0; i < list.length; i++) {
    const turn = list[i];
    const path = `conversations[${i}]`;
    if (!isObject(turn)) {
      issues.push({ path, message: 'expected an object' });
      continue;
    }
    const from = turn.from;
    let role = typeof from === 'string' ? SHAREGPT_ROLES[from.toLowerCase()] : undefined;
    if (from === undefined) issues.push({ path: `${path}.from`, message: 'from is required' });
    else if (!role) {
      const got = typeof from === 'string' ? `"${from}"` : `a ${typeof from}`;
      issues.push({ path: `${path}.from`, message: `from must be one of ${Object.keys(SHAREGPT_ROLES).join(', ')} (got ${got})` });
    }
    role ??= 'user';
    const content = text(turn.value, `${path}.value`, 'value', issues);
    messages.push(message(role, content, turn.weight, `${path}.weight`, issues));
    rolePaths.push(`${path}.from`);
  }
  return finish(value, SHAREGPT_KEYS, messages, 'sharegpt', rolePaths, 'conversations', issues);
}

function alpaca(value: Obj, issues: RecordIssue[]): Normalized | null {
  const messages: ChatMessage[] = [];
  const rolePaths: string[] = [];
  systemField(value, messages, rolePaths, issues);
  const instruction = text(value.instruction, 'instruction', 'instruction', issues);
  let input = '';
  if (value.input !== undefined && value.input !== null) {
    if (typeof value.input === 'string') input = value.input;
    else issues.push({ path: 'input', message: 'input must be a string' });
  }
  messages.push({ role: 'user', content: NON_SPACE.test(input) ? `${instruction}\n\n${input}` : instruction });
  rolePaths.push('instruction');
  if (value.output !== undefined && value.output !== null) {
    messages.push({ role: 'assistant', content: text(value.output, 'output', 'output', issues) });
    rolePaths.push('output');
  }
  return finish(value, ALPACA_KEYS, messages, 'alpaca', rolePaths, 'output', issues);
}

function prompt(value: Obj, format: RecordFormat, issues: RecordIssue[]): Normalized | null {
  const messages: ChatMessage[] = [];
  const rolePaths: string[] = [];
  systemField(value, messages, rolePaths, issues);
  messages.push({ role: 'user', content: text(value.prompt, 'prompt', 'prompt', issues) });
  rolePaths.push('prompt');
  return finish(value, PROMPT_KEYS, messages, format, rolePaths, 'prompt', issues);
}

const CHAT_KEYS = new Set(['messages', 'tags', 'meta']);
const SHAREGPT_KEYS = new Set(['conversations', 'system', 'tags', 'meta']);
const ALPACA_KEYS = new Set(['instruction', 'input', 'output', 'system', 'tags', 'meta']);
const PROMPT_KEYS = new Set(['prompt', 'system', 'tags', 'meta']);

function finish(value: Obj, known: Set<string>, messages: ChatMessage[], format: RecordFormat, rolePaths: string[], listPath: string, issues: RecordIssue[]): Normalized | null {
  const record: ChatRecord = { messages };
  const tags = value.tags;
  if (tags !== undefined) {
    if (Array.isArray(tags) && tags.every((t) => typeof t === 'string' && NON_SPACE.test(t))) record.tags = tags as string[];
    else issues.push({ path: 'tags', message: 'tags must be an array of non-empty strings' });
  }
  let meta: Obj | undefined;
  for (const key in value) {
    if (!known.has(key)) (meta ??= {})[key] = value[key];
  }
  if (value.meta !== undefined) {
    if (isObject(value.meta)) meta = meta ? { ...meta, ...value.meta } : value.meta;
    else issues.push({ path: 'meta', message: 'meta must be an object' });
  }
  if (meta) record.meta = meta;
  return issues.length ? null : { record, format, rolePaths, listPath };
}

function checkList(list: unknown, name: string, issues: RecordIssue[]): list is unknown[] {
  if (list === undefined) issues.push({ path: name, message: `${name} is required` });
  else if (!Array.isArray(list)) issues.push({ path: name, message: `${name} must be an array` });
  else if (list.length === 0) issues.push({ path: name, message: `${name} is empty` });
  else return true;
  return false;
}

function text(v: unknown, path: string, name: string, issues: RecordIssue[]): string {
  if (typeof v === 'string') {
    if (!NON_SPACE.test(v)) issues.push({ path, message: `${name} is empty` });
    return v;
  }
  issues.push({ path, message: v === undefined ? `${name} is required` : `${name} must be a string` });
  return '';
}

function message(role: ChatRole, content: string, weight: unknown, path: string, issues: RecordIssue[]): ChatMessage {
  if (weight === undefined) return { role, content };
  if (weight !== 0 && weight !== 1) issues.push({ path, message: 'weight must be 0 or 1' });
  return { role, content, weight: weight as 0 | 1 };
}

/** The optional top-level `system` string of alpaca, sharegpt and prompt records. */
function systemField(value: Obj, messages: ChatMessage[], rolePaths: string[], issues: RecordIssue[]): void {
  if (value.system === undefined || value.system === null) return;
  if (typeof value.system !== 'string') issues.push({ path: 'system', message: 'system must be a string' });
  else if (NON_SPACE.test(value.system)) {
    messages.push({ role: 'system', content: value.system });
    rolePaths.push('system');
  }
}
