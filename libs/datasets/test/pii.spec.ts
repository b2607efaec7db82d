import { luhnValid, scrubPii, scrubRecord } from '../src';

describe('scrubPii', () => {
  it.each([
    ['Mail me at jane.doe+parcels@example.co.uk, thanks', 'Mail me at [EMAIL], thanks', { email: 1 }],
    ['Call +44 20 7946 0958 or +1 (312) 555-0142.', 'Call [PHONE] or [PHONE].', { phone: 2 }],
    ['+4915112345678 is my mobile', '[PHONE] is my mobile', { phone: 1 }],
    ['US: (312) 555-0142, 312-555-0142, 312.555.0142 and 312 555 0142', 'US: [PHONE], [PHONE], [PHONE] and [PHONE]', { phone: 4 }],
    ['UK 020 7946 0958, mobile 07700 900123, DE 030/12345678, FR 01 23 45 67 89', 'UK [PHONE], mobile [PHONE], DE [PHONE], FR [PHONE]', { phone: 4 }],
    ['card 4111 1111 1111 1111 and 5555-5555-5555-4444 and 4012888888881881', 'card [CARD] and [CARD] and [CARD]', { card: 3 }],
    ['Amex 3782 822463 10005', 'Amex [CARD]', { card: 1 }],
  ])('scrubs %p', (input, output, counts) => {
    expect(scrubPii(input)).toEqual({ text: output, counts: { email: 0, phone: 0, card: 0, ...counts } });
  });

  it.each([
    'order 123456 and order #48213551',
    'deliver on 2025-03-15, 15.03.2025, 15/03/2025 or 03/15/2025',
    'a 12 kg parcel for 149.99 EUR, tracking LW123456789GB',
    'card-like but not Luhn: 4111 1111 1111 1112',
    'invoice 1234567890123',
    'between 10:30 and 12:00 on 5 June',
    'version 1.2.3, room 0 42',
  ])('leaves alone %p', (input) => {
    expect(scrubPii(input)).toEqual({ text: input, counts: { email: 0, phone: 0, card: 0 } });
  });

  it('finds nothing more in scrubbed text', () => {
    const once = scrubPii('a@example.com, +44 20 7946 0958, 4111 1111 1111 1111, (312) 555-0142').text;
    expect(once).toBe('[EMAIL], [PHONE], [CARD], [PHONE]');
    expect(scrubPii(once).counts).toEqual({ email: 0, phone: 0, card: 0 });
  });

  it('checks Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });

  it('scrubs every message of a record and sums the counts', () => {
    const record = {
      id: 'r1',
      messages: [
        { role: 'user' as const, content: 'I am a@example.com, phone +33 1 23 45 67 89' },
        { role: 'assistant' as const, content: 'Noted.' },
      ],
      meta: { keep: 'b@example.com' },
    };
    const { record: out, counts } = scrubRecord(record);
    expect(out.messages[0].content).toBe('I am [EMAIL], phone [PHONE]');
    expect(out.messages[1]).toBe(record.messages[1]);
    expect(out.meta).toEqual({ keep: 'b@example.com' });
    expect(counts).toEqual({ email: 1, phone: 1, card: 0 });
    expect(record.messages[0].content).toContain('a@example.com'); // the input is not modified
  });
});
