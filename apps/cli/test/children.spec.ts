import { prefixLine } from '../src/stack/children';

describe("retort up's child output", () => {
  it("names the child once, also when the child already names itself", () => {
    expect(prefixLine('api', 'listening')).toBe('[api] listening');
    expect(prefixLine('serve', '[serve] listening on :3001')).toBe('[serve] listening on :3001');
    expect(prefixLine('serve', '[serve-x] y')).toBe('[serve] [serve-x] y');
  });
});
