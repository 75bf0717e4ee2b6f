/**
 * Retry-After as milliseconds after `now` (epoch milliseconds): delay-seconds or an HTTP date
 * (RFC 9110 section 10.2.3); undefined when absent or unreadable. A date already past is 0.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
