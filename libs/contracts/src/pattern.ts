import { z } from 'zod';

/**
 * A regular expression in a request, as the filters read it ("pattern" or "/pattern/flags"),
 * refused at once when it does not compile rather than failing on a worker.
 */
export const regexString = z
  .string()
  .max(1000)
  .superRefine((pattern, ctx) => {
    const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    try {
      if (literal) new RegExp(literal[1], literal[2].replace(/[gy]/g, ''));
      else new RegExp(pattern);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });
