import { z } from 'zod';

/**
 * Bounds on everything a caller can grow through a camera record. Going past one is a 400 that
 * names the field and the limit. Each has an environment variable (libs/config) that sets it for
 * the process at start; the schemas read the current values when they check a record.
 */
export interface InputLimits {
  /** characters in a camera, egress or webhook URL (LIMIT_URL_LENGTH) */
  urlLength: number;
  /** cameras in the registry (MAX_CAMERAS) */
  cameras: number;
  /** zones per camera (LIMIT_ZONES) */
  zones: number;
  /** polygon points per zone (LIMIT_ZONE_POINTS) */
  zonePoints: number;
  /** rules per camera (LIMIT_RULES) */
  rules: number;
  /** class names per rule, and per-class confidence entries (LIMIT_RULE_CLASSES) */
  ruleClasses: number;
  /** frame-rate cap of a camera (MAX_FPS) */
  fps: number;
  /** output width and height of a camera (MAX_WIDTH, MAX_HEIGHT) */
  width: number;
  height: number;
  /**
   * width x height x fps where all three are known (a test pattern's defaults count), megapixels per
   * second (MAX_MEGAPIXELS_PER_SECOND): JPEG-encoding 4K at 30 fps already takes several cores
   */
  megapixelsPerSecond: number;
}

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  urlLength: 4096,
  cameras: 256,
  zones: 16,
  zonePoints: 64,
  rules: 32,
  ruleClasses: 32,
  fps: 120,
  width: 3840,
  height: 2160,
  megapixelsPerSecond: 3840 * 2160 * 30 / 1e6,
});

let current: InputLimits = { ...DEFAULT_INPUT_LIMITS };

export function inputLimits(): Readonly<InputLimits> {
  return current;
}

/** Called once at start with the environment's values (loadConfig). */
export function setInputLimits(limits: Partial<InputLimits>): void {
  current = { ...DEFAULT_INPUT_LIMITS, ...limits };
}

/** A refinement: at most the current limit's characters. */
export function withinLength(limit: 'urlLength') {
  return (value: string, ctx: z.RefinementCtx): void => {
    const max = current[limit];
    if (value.length > max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is ${value.length} characters long; at most ${max} (${ENV_NAMES[limit]})`, fatal: true });
  };
}

/** A refinement: at most the current limit's items (entries of a record count as items). */
export function withinCount(limit: 'zones' | 'zonePoints' | 'rules' | 'ruleClasses') {
  return (value: unknown[] | Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const max = current[limit];
    const size = Array.isArray(value) ? value.length : Object.keys(value).length;
    if (size > max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `has ${size} entries; at most ${max} (${ENV_NAMES[limit]})` });
  };
}

/** A refinement: a number at most the current limit. */
export function withinMax(limit: 'fps' | 'width' | 'height') {
  return (value: number, ctx: z.RefinementCtx): void => {
    const max = current[limit];
    if (value > max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at most ${max} (${ENV_NAMES[limit]})` });
  };
}

/** The environment variable that sets each limit, for messages and the config loader. */
export const ENV_NAMES: Readonly<Record<keyof InputLimits, string>> = {
  urlLength: 'LIMIT_URL_LENGTH',
  cameras: 'MAX_CAMERAS',
  zones: 'LIMIT_ZONES',
  zonePoints: 'LIMIT_ZONE_POINTS',
  rules: 'LIMIT_RULES',
  ruleClasses: 'LIMIT_RULE_CLASSES',
  fps: 'MAX_FPS',
  width: 'MAX_WIDTH',
  height: 'MAX_HEIGHT',
  megapixelsPerSecond: 'MAX_MEGAPIXELS_PER_SECOND',
};
