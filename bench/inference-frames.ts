import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jpegSize } from '../libs/contracts/src/jpeg-size';
import { generateImageSequence } from '../scripts/support';
import { repoRoot } from './clip';

export interface BenchJpeg {
  data: Buffer;
  width: number;
  height: number;
}

/** A few 1080p testsrc2 JPEGs, made once with ffmpeg into .vigil/bench/ (git-ignored) and read into memory. */
export async function benchJpegs(count = 8): Promise<{ dir: string; jpegs: BenchJpeg[] }> {
  const dir = join(repoRoot(), '.vigil', 'bench', 'frames-1080p');
  await generateImageSequence({ dir, width: 1920, height: 1080, count });
  const jpegs: BenchJpeg[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${String(i).padStart(6, '0')}.jpg`);
    const data = await readFile(path);
    const size = jpegSize(data);
    if (!size) throw new Error(`${path} is not a JPEG`);
    jpegs.push({ data, ...size });
  }
  return { dir, jpegs };
}
