/*
 * `/etc/os-release` (systemd os-release(5)): newline-separated `KEY=value` assignments in a
 * shell-compatible subset. Values may be enclosed in double or single quotes; inside double
 * quotes `\$`, `\"`, `\\` and `` \` `` are escapes. `#` starts a comment line.
 */

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

function unquote(raw: string): string {
  const value = raw.trim();
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
  }
  return value;
}

/**
 * Parses os-release text into its variables. Lines that are not assignments are skipped, as
 * os-release(5) asks readers to do, so a damaged file still yields what it can.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = ASSIGNMENT.exec(trimmed);
    if (match?.[1] !== undefined && match[2] !== undefined) variables.set(match[1], unquote(match[2]));
  }
  return variables;
}

/**
 * Writes os-release text: one assignment per line, every value double-quoted with dollar signs,
 * double quotes, backslashes and backticks escaped, so `parseOsRelease` and a shell read the same values.
 */
export function writeOsRelease(variables: ReadonlyMap<string, string>): string {
  return [...variables].map(([name, value]) => `${name}="${value.replace(/[$"\\`]/g, '\\$&')}"\n`).join('');
}
