import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { cameraConfigSchema, modelConfigSchema, type CameraConfig, type ModelConfig } from '@vigil/contracts';
import { ConfigError, describeIssues } from './errors';

const camerasFileSchema = z
  .object({
    /** the ONNX model and its default detection parameters (cameras override them) */
    model: modelConfigSchema.optional(),
    cameras: z.array(cameraConfigSchema),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.cameras.forEach((camera, index) => {
      if (seen.has(camera.id)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['cameras', index, 'id'], message: `duplicate camera id "${camera.id}"` });
      seen.add(camera.id);
    });
  });

export interface CamerasFile {
  model?: ModelConfig;
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
