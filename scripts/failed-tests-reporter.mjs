// A test reporter that prints, once all files have run, each failed test with its file and the
// first lines of its error. CI keeps only the tail of the output, and the TAP stream names a
// failure only where it happens, hundreds of lines before the end.
import { relative } from 'node:path';

const ERROR_LINES = 6;

export default async function* failedTests(source) {
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    // A suite fails because a test in it failed; that test is listed already.
    if (details?.error?.failureType === 'subtestsFailed') continue;
    failed.push({ name, file, error: details?.error });
  }
  if (failed.length === 0) return;
  const lines = ['', `failed tests (${failed.length}):`];
  for (const { name, file, error } of failed) {
    lines.push(`- ${file ? relative(process.cwd(), file) : '?'}: ${name}`);
    const text = String(error?.cause ?? error ?? '').split('\n').slice(0, ERROR_LINES);
    lines.push(...text.map((line) => `    ${line}`));
  }
  yield `${lines.join('\n')}\n`;
}
