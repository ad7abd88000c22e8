/**
 * An ffconcat list naming one input, for a tool that must open a secret URL (a camera's, with its credentials)
 * without it in argv, which every user of the machine can read: `-f concat -i pipe:0` reads the list on stdin.
 *
 * The concat demuxer reads a line at a time and takes the `file` value as one token: inside '...' every byte is
 * literal up to the next quote, and a quote itself is written '\'' (close, escaped quote, reopen). A line break or
 * NUL cannot be written at all, so it is refused; URLs never hold one (the URL parser percent-encodes them).
 * `option` lines set the input's own options (those given in argv would go to the concat demuxer instead).
 */
export function singleInputList(url: string, options: Readonly<Record<string, string>> = {}): string {
  const lines = ['ffconcat version 1.0', `file ${ffconcatQuote(url)}`];
  for (const [key, value] of Object.entries(options)) {
    if (!/^\w+$/.test(key)) throw new RangeError(`unsafe option name in a concat list: ${JSON.stringify(key)}`);
    lines.push(`option ${key} ${ffconcatQuote(value)}`);
  }
  return lines.join('\n') + '\n';
}

export function ffconcatQuote(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(value)) throw new RangeError('a control character (a line break, NUL, ...) cannot go into a concat list');
  return `'${value.replaceAll("'", "'\\''")}'`;
}
