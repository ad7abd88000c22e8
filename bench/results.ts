/** Where a bench run's figures go, so runs can be compared: `.vigil/bench/last.json` (git-ignored). */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './clip';
import { allFigures, type Headline } from './report';

export function resultsPath(): string {
  return join(repoRoot(), '.vigil', 'bench', 'last.json');
}

/** Writes every figure of this run, with the machine it ran on and the headline goals, as JSON. */
export async function writeResults(headlines: readonly Headline[], startedAt: Date): Promise<string> {
  const path = resultsPath();
  await mkdir(join(repoRoot(), '.vigil', 'bench'), { recursive: true });
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model?.trim() ?? 'unknown', node: process.version },
    headlines: headlines.map((h) => ({ name: h.name, label: h.label, goal: h.goal?.text })),
    figures: Object.fromEntries(allFigures().map((f) => [f.name, { value: typeof f.value === 'number' && !Number.isFinite(f.value) ? String(f.value) : f.value, unit: f.unit }])),
  };
  await writeFile(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}
