import { ChatTokenizer } from './tokenizer';

const cache = new Map<string, (text: string) => number>();

/** Counts a text's tokens with a model directory's tokenizer (loaded once per directory). */
export function tokenCounter(modelDir: string): (text: string) => number {
  let counter = cache.get(modelDir);
  if (!counter) {
    const tok = ChatTokenizer.fromDir(modelDir);
    counter = (text: string) => tok.encode(text, { addSpecialTokens: false }).length;
    cache.set(modelDir, counter);
  }
  return counter;
}
