/**
 * Writing gst-launch syntax that GStreamer reads back exactly as meant. Every string value goes
 * through quote(); every other value is a number, a boolean or a token checked against a pattern,
 * so no caller-supplied text can become pipeline syntax.
 */

export class PipelineValueError extends Error {
  override name = 'PipelineValueError';
}

/** A bare word such as an enum nick (`tcp`, `downstream`) or an element name: never quoted, so checked. */
export interface Token {
  readonly token: string;
}

export type PropValue = string | number | boolean | Token | undefined;

const TOKEN = /^[a-z0-9][a-z0-9_-]*$/i;
/** What gst_string_wrap writes unescaped (GST_ASCII_IS_STRING); every other byte gets a backslash. */
/** A UTF-16 half with no partner: it has no UTF-8 form, so it could not read back as written. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PLAIN_BYTE = /^[A-Za-z0-9_+/:.-]$/;

export function token(value: string): Token {
  if (!TOKEN.test(value)) throw new PipelineValueError(`not a pipeline token: ${JSON.stringify(value.slice(0, 40))}`);
  return { token: value };
}

/**
 * A string property value, written so GStreamer 1.22 reads it back byte for byte. Two layers:
 *  1. the value deserializer's own quoting (gst_string_wrap): the value is wrapped in `"`, plain
 *     bytes stay, printable ASCII gets `\c`, control and non-ASCII bytes get `\ooo`;
 *  2. the launch-line lexer's quoting: that text in `"`, with every `\` and `"` escaped.
 * Layer 2 alone was exploitable: its lexer has no escaped-backslash rule, so a value ending in `\`
 * (written `\\`) made the closing quote look escaped and the next property's text ran as
 * pipeline syntax. With layer 1 underneath, layer 2's text always ends in `\"` + `"`, never
 * `\` + `"`, and the lexer token ends exactly where we close it. test/medium/pipeline-parser
 * checks this against the real parser.
 */
export function quote(value: string): string {
  const wrapped = `"${wrap(value)}"`;
  return `"${wrapped.replace(/[\\"]/g, '\\$&')}"`;
}

function wrap(value: string): string {
  if (value.includes('\0')) throw new PipelineValueError('a pipeline value cannot contain a NUL byte');
  if (LONE_SURROGATE.test(value)) throw new PipelineValueError('a pipeline value must be valid unicode');
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (PLAIN_BYTE.test(char)) out += char;
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += `\\${char}`;
  }
  return out;
}

/** `name key=value key=value`, skipping undefined values; strings are always quoted. */
export function element(name: string, props: Record<string, PropValue> = {}): string {
  const parts = [token(name).token];
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    parts.push(`${token(key).token}=${propText(key, value)}`);
  }
  return parts.join(' ');
}

function propText(key: string, value: Exclude<PropValue, undefined>): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PipelineValueError(`${key} must be a finite number`);
    return String(value);
  }
  return token(value.token).token;
}

/**
 * A caps filter such as `video/x-raw,width=640`: written bare (its own syntax), so the media type
 * is a fixed word and every field a positive integer or a fraction of them.
 */
export function caps(mediaType: 'video/x-raw' | 'image/jpeg', fields: Record<string, number | Fraction | undefined>): string {
  const parts: string[] = [mediaType];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${token(key).token}=${typeof value === 'number' ? positiveInteger(key, value) : fractionText(key, value)}`);
  }
  return parts.join(',');
}

export interface Fraction {
  numerator: number;
  denominator: number;
}

function fractionText(key: string, value: Fraction): string {
  return `${positiveInteger(key, value.numerator)}/${positiveInteger(key, value.denominator)}`;
}

function positiveInteger(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new PipelineValueError(`${key} must be a positive integer, not ${String(value)}`);
  return value;
}

export function link(parts: readonly string[]): string {
  return parts.join(' ! ');
}
