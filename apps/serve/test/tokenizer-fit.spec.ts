import { initBackend } from '@retort/engine';
import { writeRealTokenizer } from '../../../libs/tokenizer/test/real-tokenizers';
import { startServe } from '../src/main';
import { tinyModelDir } from './helpers';

describe('retort serve: loading a model', () => {
  beforeAll(() => initBackend(undefined, () => undefined));

  it('refuses a tokenizer whose ids do not fit the model (Qwen3 copied next to a 264-token model)', async () => {
    const dir = tinyModelDir(2);
    writeRealTokenizer(dir, 'qwen3');
    await expect(startServe({ models: [{ dir }], port: 0, log: () => undefined })).rejects.toThrow(/tokenizer\.json: token "<\/think>" has id 151668, but config\.json's vocab_size is 264/);
  });
});
