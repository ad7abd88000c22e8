import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { cameraConfigSchema, inputLimits, modelConfigSchema, stitchConflict, type CameraConfig, type ModelConfig } from '@vigil/contracts';
import { ConfigError, describeIssues } from './errors';

/** The `alarms` section: when violations become alarms and what their clips cover, in seconds. */
export const alarmsFileSchema = z
  .object({
    pre: z.number().min(0).max(60).optional(),
    post: z.number().min(0).max(60).optional(),
    quiet: z.number().min(0.1).max(3600).optional(),
    cooldown: z.number().min(0).max(86_400).optional(),
    maxClip: z.number().min(1).max(600).optional(),
  })
  .strict();
export type AlarmsFileSection = z.output<typeof alarmsFileSchema>;

const camerasFileSchema = z
  .object({
    /** the ONNX model and its default detection parameters (cameras override them) */
    model: modelConfigSchema.optional(),
    alarms: alarmsFileSchema.optional(),
    /** webhook endpoints; validated by the alarms service (resolveWebhookEndpoints), which names the bad field */
    webhooks: z.array(z.unknown()).optional(),
    cameras: z.array(cameraConfigSchema).superRefine((cameras, ctx) => {
      const max = inputLimits().cameras;
      if (cameras.length > max) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `has ${cameras.length} cameras; at most ${max} (MAX_CAMERAS)` });
    }),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.cameras.forEach((camera, index) => {
      if (seen.has(camera.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['cameras', index, 'id'], message: `duplicate camera id "${camera.id}"` });
      seen.add(camera.id);
    });
    // a panorama's inputs may be cameras the API made, so only what the file itself shows is refused
    const byId = new Map(file.cameras.map((camera) => [camera.id, camera]));
    file.cameras.forEach((camera, index) => {
      const conflict = stitchConflict(camera, byId, 'allow');
      if (conflict) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['cameras', index, 'url'], message: conflict.replace(/^url: /, '') });
    });
  });

export interface CamerasFile {
  model?: ModelConfig;
  alarms?: AlarmsFileSection;
  webhooks?: unknown[];
  cameras: CameraConfig[];
}

/** Parses a cameras file (YAML or JSON; JSON is YAML) and validates it; errors name the file and field. */
export function parseCamerasFile(text: string, source = 'cameras file'): CameraConfig[] {
  return parseConfigFile(text, source).cameras;
}

/** The whole file: cameras and the optional model section. */
export function parseConfigFile(text: string, source = 'cameras file'): CamerasFile {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const parsed = camerasFileSchema.safeParse(document ?? {});
  if (!parsed.success) throw new ConfigError(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function loadCamerasFile(path: string): CameraConfig[] {
  return loadConfigFile(path).cameras;
}

export function loadConfigFile(path: string): CamerasFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`CAMERAS_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path);
}
