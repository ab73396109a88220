/** A Unix time (seconds) as `YYYY-MM-DD HH:MM UTC`, or `fallback` when there is none. */
export function formatTime(seconds: number | null, fallback = '—'): string {
  return seconds === null
    ? fallback
    : `${new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
