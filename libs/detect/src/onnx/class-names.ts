import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import YAML from 'yaml';

/**
 * Parses the `names` that Ultralytics writes into an ONNX model's metadata: Python's repr of a dict,
 * `{0: 'person', 1: "driver's cab"}`. A list (`['person', 'helmet']`), JSON, and bare words (`{0: person}`) are
 * read too. Ids must run 0..C-1. `source` names where the text came from, for the error message.
 */
export function parseClassNames(text: string, source: string): string[] {
  try {
    return namesFromValue(new PythonLiteralParser(text).parseTop(), source);
  } catch (error) {
    if (error instanceof ClassNamesError) throw error;
    throw new ClassNamesError(`cannot read class names from ${source}: ${(error as Error).message}`);
  }
}

/**
 * Reads a labels file: a JSON or YAML list or {id: name} map (`.json`, `.yaml`, `.yml`; a dataset YAML with a
 * `names` key works too), or any other file with one name per line.
 */
export async function readLabels(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ClassNamesError(code === 'ENOENT' ? `labels file not found: ${path}` : `cannot read labels file ${path}: ${(error as Error).message}`);
  }
  const source = `labels file ${path}`;
  const ext = extname(path).toLowerCase();
  if (ext === '.json' || ext === '.yaml' || ext === '.yml') {
    let value: unknown;
    try {
      value = ext === '.json' ? JSON.parse(text) : YAML.parse(text);
    } catch (error) {
      throw new ClassNamesError(`cannot parse ${source}: ${(error as Error).message}`);
    }
    if (isRecord(value) && 'names' in value) value = value.names;
    return namesFromValue(value, source);
  }
  return namesFromLines(text, source);
}

export class ClassNamesError extends Error {
  override name = 'ClassNamesError';
}

function namesFromLines(text: string, source: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  // a blank line in the middle would shift every later class id by one: refuse it rather than guess
  const blank = lines.indexOf('');
  if (blank !== -1) throw new ClassNamesError(`${source}: line ${blank + 1} is empty (one class name per line, ids counted from 0)`);
  if (lines.length === 0) throw new ClassNamesError(`${source} holds no class names`);
  return lines;
}

function namesFromValue(value: unknown, source: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ClassNamesError(`${source} holds no class names`);
    return value.map((name, index) => nameAt(name, index, source));
  }
  if (isRecord(value)) {
    const names: string[] = [];
    for (const [key, name] of Object.entries(value)) {
      if (!/^(0|[1-9]\d*)$/.test(key.trim())) throw new ClassNamesError(`${source}: class id "${key}" is not a non-negative integer`);
      names[Number(key)] = nameAt(name, Number(key), source);
    }
    if (names.length === 0) throw new ClassNamesError(`${source} holds no class names`);
    for (let id = 0; id < names.length; id++) {
      if (names[id] === undefined) throw new ClassNamesError(`${source}: class ids must run from 0 to ${names.length - 1}, ${id} is missing`);
    }
    return names;
  }
  throw new ClassNamesError(`${source}: expected a list of class names or an {id: name} map`);
}

function nameAt(name: unknown, id: number, source: string): string {
  if (typeof name === 'number') return String(name);
  if (typeof name !== 'string' || name.trim() === '') throw new ClassNamesError(`${source}: class ${id} has no name`);
  return name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Just enough of Python's literal syntax for a dict or list of ints and strings. */
class PythonLiteralParser {
  private at = 0;

  constructor(private readonly text: string) {}

  parseTop(): unknown {
    const value = this.value();
    this.space();
    if (this.at < this.text.length) this.fail('unexpected text after the end');
    return value;
  }

  private value(): unknown {
    this.space();
    const char = this.text[this.at];
    if (char === '{') return this.dict();
    if (char === '[' || char === '(') return this.list(char === '[' ? ']' : ')');
    if (char === "'" || char === '"') return this.string();
    if (char !== undefined && /[-\d]/.test(char)) return this.integer();
    return this.bare();
  }

  private dict(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.at++;
    for (;;) {
      this.space();
      if (this.eat('}')) return result;
      const key = this.value();
      this.space();
      if (!this.eat(':')) this.fail("expected ':'");
      result[String(key)] = this.value();
      this.space();
      if (this.eat('}')) return result;
      if (!this.eat(',')) this.fail("expected ',' or '}'");
    }
  }

  private list(close: string): unknown[] {
    const result: unknown[] = [];
    this.at++;
    for (;;) {
      this.space();
      if (this.eat(close)) return result;
      result.push(this.value());
      this.space();
      if (this.eat(close)) return result;
      if (!this.eat(',')) this.fail(`expected ',' or '${close}'`);
    }
  }

  private integer(): number {
    const match = /^-?\d+/.exec(this.text.slice(this.at));
    if (!match) this.fail('expected a number');
    this.at += match[0].length;
    return Number(match[0]);
  }

  /** An unquoted word, as YAML-minded writers produce (`{0: person}`): up to the next separator. */
  private bare(): string {
    const match = /^[^,:{}[\]()'"]+/.exec(this.text.slice(this.at));
    if (!match || match[0].trim() === '') this.fail('expected a value');
    this.at += match[0].length;
    return match[0].trim();
  }

  private string(): string {
    const quote = this.text[this.at++];
    let result = '';
    for (;;) {
      const char = this.text[this.at++];
      if (char === undefined) this.fail('unterminated string');
      if (char === quote) return result;
      if (char !== '\\') {
        result += char;
        continue;
      }
      const escape = this.text[this.at++];
      switch (escape) {
        case 'n':
          result += '\n';
          break;
        case 't':
          result += '\t';
          break;
        case 'r':
          result += '\r';
          break;
        case 'x':
          result += this.codePoint(2);
          break;
        case 'u':
          result += this.codePoint(4);
          break;
        case 'U':
          result += this.codePoint(8);
          break;
        case undefined:
          this.fail('unterminated string');
          break;
        default:
          // \\, \', \" and anything Python would keep literally
          result += escape;
      }
    }
  }

  private codePoint(digits: number): string {
    const hex = this.text.slice(this.at, this.at + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.fail(`bad \\${digits === 2 ? 'x' : digits === 4 ? 'u' : 'U'} escape`);
    this.at += digits;
    return String.fromCodePoint(parseInt(hex, 16));
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  private eat(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  private fail(why: string): never {
    throw new Error(`${why} at character ${this.at}`);
  }
}
