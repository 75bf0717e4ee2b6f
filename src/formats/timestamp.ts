/**
 * The one form every timestamp takes once read: UTC, `YYYY-MM-DDTHH:MM:SS.sssZ` (what
 * `Date.prototype.toISOString` writes), so stored timestamps from any source compare as text.
 */

/**
 * RFC 3339-style date-times as NVD and CVE 5 write them: NVD 2.0 `2019-11-14T19:15:13.410`
 * (UTC implied), NVD 1.1 `2019-11-14T19:15Z`, NVD feed `.meta` files `2026-01-19T16:00:01-05:00`,
 * CVE 5 any of these, a bare date, lower-case `t`/`z` or an offset without its colon (the CVE 5
 * schema's "timestamp": UTC when no offset is given). Seconds and the fraction are optional.
 */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(?:[Zz]|([+-])(\d{2}):?(\d{2}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** True when `text` is a real calendar date `YYYY-MM-DD` (no February 30). */
export function isIsoDate(text: string): boolean {
  const parts = DATE.exec(text);
  if (parts === null) return false;
  const [year, month, day] = parts.slice(1).map(Number) as [number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/**
 * `text` in the one form (see the module comment), the fraction cut to milliseconds; undefined
 * when it is no valid date-time.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const parts = TIMESTAMP.exec(text);
  if (parts === null) return undefined;
  const [, date = '', hour = '00', minute = '00', second = '00', fraction = '', sign, zoneHours, zoneMinutes] = parts;
  if (!isIsoDate(date) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined;
  // Built as text rather than through Date: this runs twice per record of a 300,000-record feed.
  const utc = `${date}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
  if (sign === undefined) return utc;
  if (Number(zoneHours) > 23 || Number(zoneMinutes) > 59) return undefined;
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  return new Date(Date.parse(utc) - offsetMinutes * 60_000).toISOString();
}
