/**
 * The states table as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, a
 * quote or a line break quoted, quotes doubled), for spreadsheets. A cell a spreadsheet would
 * run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * `'`, so a note can never execute (OWASP, "CSV injection").
 */

export const STATES_CSV_COLUMNS = [
  'branch',
  'repo',
  'package',
  'version',
  'cve',
  'state',
  'fixed_version',
  'status',
  'resolution',
  'needs_review',
  'triage_status',
  'justification',
  'note',
  'author',
  'triage_time',
] as const;

export type StatesCsvRow = Readonly<Record<(typeof STATES_CSV_COLUMNS)[number], string | null>>;

function csvCell(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The header line and one line per row. */
export function formatStatesCsv(rows: readonly StatesCsvRow[]): string {
  const line = (cells: readonly (string | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;
  return line(STATES_CSV_COLUMNS) + rows.map((row) => line(STATES_CSV_COLUMNS.map((column) => row[column]))).join('');
}
