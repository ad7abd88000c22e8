import assert from 'node:assert/strict';

// Reading gst-launch text back, so tests can check elements and properties rather than whole strings.
/** Splits at `separator` outside double quotes; inside quotes a backslash escapes the next character. */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '\\') {
      current += ch + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === separator) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  assert.equal(quoted, false, `unbalanced quotes in ${text}`);
  parts.push(current);
  return parts;
}

export interface Stage {
  /** element name or caps string */
  name: string;
  /** property values as written (quoted values keep their quotes) */
  props: Record<string, string>;
}

export function stages(launch: string): Stage[] {
  return splitOutsideQuotes(launch, '!').map((text) => {
    const [name, ...rest] = splitOutsideQuotes(text.trim(), ' ').filter(Boolean);
    const props: Record<string, string> = {};
    for (const token of rest) {
      const eq = token.indexOf('=');
      assert.ok(eq > 0, `property without "=" in ${text}`);
      props[token.slice(0, eq)] = token.slice(eq + 1);
    }
    return { name: name!, props };
  });
}

export const names = (launch: string) => stages(launch).map((stage) => stage.name);

export function stage(launch: string, name: string): Stage {
  const found = stages(launch).filter((candidate) => candidate.name === name);
  assert.equal(found.length, 1, `expected one ${name} in ${launch}`);
  return found[0]!;
}

/** The value of a quoted property as GStreamer will read it. */
export function unquote(value: string): string {
  assert.match(value, /^".*"$/s, `not quoted: ${value}`);
  return value.slice(1, -1).replace(/\\(.)/gs, '$1');
}
