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

/** Every figure printed so far, in order. */
export function allFigures(): Figure[] {
  return [...figures.values()];
}

export interface Headline {
  /** the figure's name */
  name: string;
  label: string;
  /** the goal, as text, and whether the figure meets it */
  goal?: { text: string; met: (value: number) => boolean };
}

/**
 * One table of the figures that matter, with their goals, for the end of a run: the lines above it are the detail.
 * A headline whose figure was not measured in this run says so rather than vanishing.
 */
export function headlineTable(headlines: readonly Headline[]): string {
  const rows = headlines.map((h) => {
    const f = figures.get(h.name);
    const value = f === undefined ? 'not measured' : typeof f.value === 'number' ? `${fmt(f.value, Math.abs(f.value) >= 100 ? 0 : 2)} ${f.unit.split(' (')[0]}`.trim() : f.value.slice(0, 40);
    const verdict = !h.goal ? '' : typeof f?.value === 'number' && Number.isFinite(f.value) ? (h.goal.met(f.value) ? 'met' : 'NOT met') : '';
    return [h.label, value, h.goal?.text ?? '', verdict];
  });
  const header = ['figure', 'value', 'goal', ''];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A non-negative number of seconds from the environment variable `name`, else `fallback`. */
export function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
}
