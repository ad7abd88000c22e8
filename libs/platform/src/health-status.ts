import { z } from 'zod';
import { READINESS_COMPONENT_PATTERN } from './readiness';

/** What a probe sees: up or down, nothing more (no error text, no host, no version). */
export const healthUpSchema = z.object({ status: z.literal('ok') }).strict();
export type HealthUp = z.infer<typeof healthUpSchema>;

/** Down, with the components that are (`redis`, `model`, ...): their names only, why is in the log. */
export const healthDownSchema = z
  .object({
    status: z.literal('unavailable'),
    degraded: z.array(z.string().regex(READINESS_COMPONENT_PATTERN)).describe('the components not ready, by name: redis, model, violations, ...'),
  })
  .strict();
export type HealthDown = z.infer<typeof healthDownSchema>;
