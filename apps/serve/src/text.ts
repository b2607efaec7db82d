/** From generated token ids to text: per-token strings and bytes for logprobs, stop strings, streamed deltas. */
import { bytesToUnicode } from '@retort/tokenizer';
import type { ChatTokenizer } from '@retort/tokenizer';
import type { Step } from './generation';

const utf8 = new TextEncoder();

function hasByteLevelDecoder(json: Record<string, unknown>): boolean {
  const d = json.decoder as { type?: string; decoders?: { type?: string }[] } | null | undefined;
  return !!d && (d.type === 'ByteLevel' || (d.type === 'Sequence' && !!d.decoders?.some((x) => x.type === 'ByteLevel')));
}

/** Token strings and raw bytes of single tokens of one tokenizer. */
export class TokenText {
  private readonly byteOf?: Map<string, number>;
  private readonly added = new Map<number, string>();
  private readonly cache = new Map<number, { token: string; bytes: number[] }>();

  constructor(private readonly tok: ChatTokenizer) {
    if (hasByteLevelDecoder(tok.tokenizerJson)) {
      this.byteOf = new Map(bytesToUnicode().map((ch, b) => [ch, b]));
    }
    const added = tok.tokenizerJson.added_tokens as { id: number; content: string }[] | undefined;
    for (const t of added ?? []) this.added.set(t.id, t.content);
  }

  /**
   * The token as text (vLLM: the token decoded alone, so a piece of a multi-byte character reads
   * U+FFFD) and its exact UTF-8 bytes (OpenAI's `bytes`, which stay exact for such pieces).
   */
  describe(id: number): { token: string; bytes: number[] } {
    let hit = this.cache.get(id);
    if (!hit) {
      const token = this.added.get(id) ?? this.tok.decode([id]);
      hit = { token, bytes: this.rawBytes(id) ?? Array.from(utf8.encode(token)) };
      if (this.cache.size < 200_000) this.cache.set(id, hit);
    }
    return hit;
  }

  private rawBytes(id: number): number[] | undefined {
    const added = this.added.get(id);
    if (added !== undefined) return Array.from(utf8.encode(added));
    const piece = this.tok.idToToken(id);
    if (piece === undefined) return undefined;
    if (this.byteOf) {
      const out: number[] = [];
      for (const ch of piece) {
        const b = this.byteOf.get(ch);
        if (b === undefined) return undefined;
        out.push(b);
      }
      return out;
    }
    // SentencePiece byte fallback (<0xE2>) and word boundary marker.
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
    if (m) return [parseInt(m[1], 16)];
    return Array.from(utf8.encode(piece.replace(/\u2581/g, ' ')));
  }
}

/**
 * Follows the text of one generated sequence token by token, as the engine's `generate` does: the
 * text is the decoded ids (less a final stop token), cut before the first stop string once one
 * appears. `push` returns only text that can no longer change: it holds back a tail that could be the
 * start of a stop string and a trailing U+FFFD (a multi-byte character still incomplete), so the
 * concatenated deltas are exactly the final text, streamed or not.
 */
export class TextTracker {
  private readonly ids: number[] = [];
  /** The text handed out so far. */
  text = '';
  /** Character offset of each pushed token in the decoded text (before any cut). */
  readonly offsets: number[] = [];
  private decodedLength = 0;
  stoppedByString = false;

  constructor(
    private readonly decode: (ids: number[]) => string,
    private readonly stops: string[],
  ) {}

  push(step: Step): { delta: string; stopped: boolean } {
    this.offsets.push(this.decodedLength);
    if (!step.stopToken) this.ids.push(step.id);
    const full = this.decode(this.ids);
    this.decodedLength = full.length;
    if (step.stopToken) return { delta: this.advance(full), stopped: true };
    if (this.stops.length) {
      let cut = -1;
      for (const s of this.stops) {
        const i = full.indexOf(s);
        if (i >= 0 && (cut < 0 || i < cut)) cut = i;
      }
      if (cut >= 0) {
        this.stoppedByString = true;
        return { delta: this.advance(full.slice(0, cut)), stopped: true };
      }
    }
    return { delta: this.advance(full.slice(0, this.safeEnd(full))), stopped: false };
  }

  /** Everything that was held back (generation ended for length). */
  finish(): string {
    return this.stoppedByString ? '' : this.advance(this.decode(this.ids));
  }

  private safeEnd(full: string): number {
    // A trailing U+FFFD may still become a character; what precedes it may begin a stop string.
    let end = full.length;
    while (end > 0 && full.charCodeAt(end - 1) === 0xfffd) end--;
    const settled = full.slice(0, end);
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, settled.length); k > 0; k--) {
        if (settled.endsWith(s.slice(0, k))) {
          end = Math.min(end, settled.length - k);
          break;
        }
      }
    }
    return end;
  }

  private advance(target: string): string {
    // Decoding is prefix-stable for the tokenizers here; should it ever not be, keep what was sent.
    if (target.length <= this.text.length) return '';
    const delta = target.slice(this.text.length);
    this.text += delta;
    return delta;
  }
}
