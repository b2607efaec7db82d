export { ChatTokenizer } from './tokenizer';
export type { ChatMessage } from './tokenizer';
export type { ChatEncoding, AssistantTurns, EncodeChatOptions } from './chat-encoding';
export { byteLevelTokenizer, bytesToUnicode, CHATML_TEMPLATE, BYTE_LEVEL_SPECIALS } from './bytelevel';
export type { TokenizerFiles } from './bytelevel';
export { tokenCounter } from './token-counter';
