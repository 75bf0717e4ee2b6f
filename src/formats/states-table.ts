/**
 * The states table as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, a
 * quote or a line break quoted, quotes doubled), for spreadsheets. A cell a spreadsheet would
 * run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
 * `'`, so a note can never execute (OWASP, "CSV injection").
 */

const STATES_CSV_COLUMNS = [
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

const csvLine = (cells: readonly (string | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** The header line, which the rows' lines follow (see `formatStatesCsvRows`). */
export const STATES_CSV_HEADER = csvLine(STATES_CSV_COLUMNS);

/** One line per row, without the header, so a long table is written a batch of rows at a time. */
export function formatStatesCsvRows(rows: readonly StatesCsvRow[]): string {
  return rows.map((row) => csvLine(STATES_CSV_COLUMNS.map((column) => row[column]))).join('');
}
