import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** What GStreamer's own parser made of one launch line (see gst-parse.py). */
export type ParseAnswer =
  | { ok: true; factories: string[]; props: [index: number, prop: string, actual: string | null, equal: boolean][] }
  | { ok: false; error: string };

export interface ParseRequest {
  launch: string;
  /** [element index, property, expected value as text] */
  read: [number, string, string][];
}

const SCRIPT = join(__dirname, '..', '..', '..', 'test', 'support', 'gst-parse.py');

/**
 * Parses many launch lines with python3-gi (Debian's /usr/bin/python3 has the bindings), split
 * over `workers` processes: creating some elements (avdec_h264) takes milliseconds each.
 */
export async function parseWithGstreamer(requests: readonly ParseRequest[], workers = availableParallelism()): Promise<ParseAnswer[]> {
  const size = Math.ceil(requests.length / workers);
  const parts = await Promise.all(Array.from({ length: workers }, (_, i) => parseInOneProcess(requests.slice(i * size, (i + 1) * size))));
  return parts.flat();
}

async function parseInOneProcess(requests: readonly ParseRequest[]): Promise<ParseAnswer[]> {
  if (requests.length === 0) return [];
  const child = spawn('/usr/bin/python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: ParseAnswer[] = [];
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => answers.push(JSON.parse(line) as ParseAnswer));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`gst-parse.py exited with ${code}`))));
  });
  for (const request of requests) child.stdin.write(`${JSON.stringify(request)}\n`);
  child.stdin.end();
  await done;
  if (answers.length !== requests.length) throw new Error(`gst-parse.py answered ${answers.length} of ${requests.length}`);
  return answers;
}
