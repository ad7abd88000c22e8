import { z } from 'zod';

/**
 * The body of every 4xx answer: Nest's exception filter writes it for the exceptions the handlers and the guard
 * throw, and jsonOnly writes the same for a 415. `message` says what was wrong (a 400 names the field).
 */
export const apiErrorSchema = z
  .object({
    statusCode: z.number().int().min(400).max(599),
    message: z.string(),
    error: z.string().describe('the status text, e.g. `Bad Request`'),
  })
  .strict();
export type ApiError = z.infer<typeof apiErrorSchema>;
