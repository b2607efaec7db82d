/** tokenizer.json + tokenizer_config.json through @huggingface/tokenizers, chat templates through @huggingface/jinja. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { bytesToUnicode } from './bytelevel';
import { encodeChat, type ChatEncoding, type EncodeChatOptions } from './chat-encoding';

export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

const BYTE_SYMBOLS = bytesToUnicode();

export class ChatTokenizer {
  private readonly tok: Tokenizer;
  private readonly template?: Template;
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;

  constructor(
    readonly tokenizerJson: Record<string, unknown>,
    readonly tokenizerConfig: Record<string, unknown> = {},
  ) {
    this.tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    let chat = tokenizerConfig.chat_template as unknown;
    if (Array.isArray(chat)) chat = (chat as { name: string; template: string }[]).find((t) => t.name === 'default')?.template;
    if (typeof chat === 'string') this.template = new Template(chat);
    this.bosToken = tokenString(tokenizerConfig.bos_token);
    this.eosToken = tokenString(tokenizerConfig.eos_token);
    this.padToken = tokenString(tokenizerConfig.pad_token);
  }

  /** Loads tokenizer.json and (optionally) tokenizer_config.json from a model directory. */
  static fromDir(dir: string): ChatTokenizer {
    const read = (f: string, required: boolean): Record<string, unknown> => {
      const file = path.join(dir, f);
      if (!fs.existsSync(file)) {
        if (required) throw new Error(`${file}: not found`);
        return {};
      }
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
      }
    };
    return new ChatTokenizer(read('tokenizer.json', true), read('tokenizer_config.json', false));
  }

  get hasChatTemplate(): boolean {
    return this.template !== undefined;
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? false }).ids;
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    // The library refuses an empty list; a generation that stopped at once is the empty text.
    if (ids.length === 0) return '';
    return this.tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /**
   * The id of a token as an OpenAI-compatible server reports it in logprobs: `token_id:N` (vLLM's
   * return_tokens_as_token_ids), or its UTF-8 bytes (the `bytes` field, else the token string's),
   * which byte-level BPE vocabularies (GPT-2, Qwen2, Llama 3) spell through bytes_to_unicode.
   * Undefined when this vocabulary has no such token: the teacher's tokenizer is another one.
   */
  teacherTokenId(t: { token: string; bytes?: number[] }): number | undefined {
    const asId = /^token_id:(\d+)$/.exec(t.token);
    if (asId) return Number(asId[1]);
    const bytes = t.bytes ?? [...Buffer.from(t.token, 'utf8')];
    return this.tokenToId(bytes.map((b) => BYTE_SYMBOLS[b]).join('')) ?? this.tokenToId(t.token);
  }

  get eosTokenId(): number | undefined {
    return this.eosToken === undefined ? undefined : this.tokenToId(this.eosToken);
  }

  get padTokenId(): number | undefined {
    return this.padToken === undefined ? this.eosTokenId : this.tokenToId(this.padToken);
  }

  /** Renders the chat template (as transformers' apply_chat_template with tokenize=False). */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; extra?: Record<string, unknown> } = {}): string {
    if (!this.template) throw new Error('tokenizer_config.json has no chat_template');
    return this.template.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: this.bosToken ?? '',
      eos_token: this.eosToken ?? '',
      pad_token: this.padToken ?? '',
      ...opts.extra,
    });
  }

  /** Token sequences of a conversation with loss masks on its assistant turns (see chat-encoding.ts). */
  encodeChat(messages: ChatMessage[], opts: EncodeChatOptions = {}): ChatEncoding[] {
    return encodeChat(this, messages, opts);
  }
}
