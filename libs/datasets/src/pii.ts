/**
 * PII scrubbing with patterns, run in this order so that one kind does not eat another:
 *
 * - e-mail: local@domain.tld (letters, digits and ._%+- before the @, dotted labels after it).
 * - card: 13–19 digits, contiguous or in groups of 4 (4-4-4-4, 4-4-4-4-3) or 4-6-4/4-6-5 (Amex,
 *   Diners), starting with 2–6 (Mastercard, Visa, Amex, Discover, …), and passing the Luhn check.
 * - phone: international `+CC …` with 8–15 digits (E.164); North American `(555) 010-4477`,
 *   `555-010-4477`, `555.010.4477`, `555 010 4477`; and trunk-prefixed national numbers
 *   starting with 0 in at least two groups (`020 7946 0958`, `07700 900123`, `030/1234567`,
 *   `01 23 45 67 89`) with 9–12 digits.
 *
 * What is left alone on purpose: plain digit runs such as "order 123456", dates (2025-03-15,
 * 15.03.2025, 15/03/2025), amounts, and digit runs that fail the Luhn check.
 */
export interface PiiCounts {
  email: number;
  phone: number;
  card: number;
}

const EMAIL = /[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![A-Za-z0-9-])/g;
const CARD = /(?<![\w+-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])/g;
const INTL_PHONE = /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,5}(?!\w)/g;
const NANP_PHONE = /(?<![\w+-])(?:\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}([ .-])\d{3}\1\d{4})(?![\w-])/g;
const NATIONAL_PHONE = /(?<![\w+-])0\d{1,4}(?:[ /-]\d{2,8}){1,4}(?![\w-])/g;

export function scrubPii(text: string): { text: string; counts: PiiCounts } {
  const counts: PiiCounts = { email: 0, phone: 0, card: 0 };
  const replace = (pattern: RegExp, kind: keyof PiiCounts, placeholder: string, accept: (match: string) => boolean) => {
    text = text.replace(pattern, (match) => {
      if (!accept(match)) return match;
      counts[kind] += 1;
      return placeholder;
    });
  };
  replace(EMAIL, 'email', '[EMAIL]', () => true);
  replace(CARD, 'card', '[CARD]', (m) => {
    const digits = m.replace(/\D/g, '');
    return digits.length >= 13 && digits.length <= 19 && digits[0] >= '2' && digits[0] <= '6' && luhnValid(digits);
  });
  replace(INTL_PHONE, 'phone', '[PHONE]', (m) => between(digitCount(m), 8, 15));
  replace(NANP_PHONE, 'phone', '[PHONE]', () => true);
  replace(NATIONAL_PHONE, 'phone', '[PHONE]', (m) => between(digitCount(m), 9, 12));
  return { text, counts };
}

/** Scrubs every message of a record; other fields are returned as they are. */
export function scrubRecord<T extends { messages: { content: string }[] }>(record: T): { record: T; counts: PiiCounts } {
  const counts: PiiCounts = { email: 0, phone: 0, card: 0 };
  const messages = record.messages.map((m) => {
    const scrubbed = scrubPii(m.content);
    counts.email += scrubbed.counts.email;
    counts.phone += scrubbed.counts.phone;
    counts.card += scrubbed.counts.card;
    return scrubbed.text === m.content ? m : { ...m, content: scrubbed.text };
  });
  return { record: { ...record, messages }, counts };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digitCount = (s: string) => s.replace(/\D/g, '').length;
const between = (n: number, lo: number, hi: number) => n >= lo && n <= hi;
