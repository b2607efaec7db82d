import { SecretBox } from '../src';

describe('SecretBox', () => {
  it('round-trips a secret, never stores it in the clear, and refuses another key or a tampered value', () => {
    const box = new SecretBox('a-long-enough-secret-key');
    const sealed = box.seal('sk-teacher-123');
    expect(sealed).not.toContain('sk-teacher-123');
    expect(box.seal('sk-teacher-123')).not.toBe(sealed); // a fresh IV every time
    expect(box.open(sealed)).toBe('sk-teacher-123');
    expect(() => new SecretBox('another-long-secret-key').open(sealed)).toThrow(/RETORT_SECRET_KEY differs/);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow(/cannot decrypt/);
    expect(() => new SecretBox('short')).toThrow(/at least 16/);
  });
});
