export { ChatTokenizer } from './tokenizer';
export type { ChatMessage, ChatEncoding } from './tokenizer';
export { byteLevelTokenizer, bytesToUnicode, CHATML_TEMPLATE, BYTE_LEVEL_SPECIALS } from './bytelevel';
export type { TokenizerFiles } from './bytelevel';
export { tokenCounter } from './token-counter';
