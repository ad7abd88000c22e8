import { z } from 'zod';

/** What a probe sees: up or down, nothing more (no error text, no host, no version). */
export const healthUpSchema = z.object({ status: z.literal('ok') }).strict();
export type HealthUp = z.infer<typeof healthUpSchema>;

export const healthDownSchema = z.object({ status: z.literal('unavailable') }).strict();
export type HealthDown = z.infer<typeof healthDownSchema>;
