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

/**
 * The value of a quoted property as GStreamer will read it: the launch lexer's escapes, then the
 * value deserializer's (`\c`, `\ooo` octal bytes). A mirror for unit tests only; the medium test
 * pipeline-parser checks the real parser.
 */
export function unquote(value: string): string {
  assert.match(value, /^".*"$/s, `not quoted: ${value}`);
  const inner = value.slice(1, -1).replace(/\\(.)/gs, '$1');
  assert.match(inner, /^".*"$/s, `not wrapped for the deserializer: ${inner}`);
  const bytes: number[] = [];
  const text = inner.slice(1, -1);
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      bytes.push(text.charCodeAt(i));
      continue;
    }
    const octal = /^[0-3][0-7]{2}/.exec(text.slice(i + 1));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else bytes.push(text.charCodeAt(++i));
  }
  return Buffer.from(bytes).toString('utf8');
}
