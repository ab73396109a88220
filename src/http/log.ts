/**
 * Structured logs: one JSON object per line, so user-controlled text can never forge a log line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function log(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

/** A safe description of an unknown thrown value for logs (never sent to a client). */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    return {
      errorName: err.name,
      errorMessage: err.message,
      stack: err.stack?.split('\n').slice(0, 8).join('\n'),
    };
  }
  return { errorValue: String(err) };
}
