/** Small helpers for writing gst-launch syntax safely. */

/** Quotes a property value for gst_parse_launch: double quotes, with `\` and `"` escaped. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `name key=value key=value`, skipping undefined values. */
export function element(name: string, props: Record<string, string | number | boolean | undefined> = {}): string {
  const parts = [name];
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    parts.push(`${key}=${typeof value === 'string' ? value : String(value)}`);
  }
  return parts.join(' ');
}

export function link(parts: readonly string[]): string {
  return parts.join(' ! ');
}
