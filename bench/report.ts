/** Figures printed one per line as `name: value unit`, kept for the summary line at the end. */

export interface Figure {
  name: string;
  value: number | string;
  unit: string;
}

const figures = new Map<string, Figure>();

export function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(digits);
}

/** Prints `name: value unit` and remembers it. Numbers are rounded to `digits`. */
export function figure(name: string, value: number | string, unit = '', digits = 1): void {
  const shown = typeof value === 'number' ? fmt(value, digits) : value;
  figures.set(name, { name, value, unit });
  console.log(`${name}: ${shown}${unit ? ` ${unit}` : ''}`);
}

export function note(text: string): void {
  console.log(`# ${text}`);
}

export function recorded(name: string): number | undefined {
  const value = figures.get(name)?.value;
  return typeof value === 'number' ? value : undefined;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** A non-negative number of seconds from the environment variable `name`, else `fallback`. */
export function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}
