/**
 * One logger. Personal data is masked by redaction whatever a call site passes, and credentials are
 * removed outright, so a careless `log.info({ body })` still cannot leak an ID number or a key.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskIdNumber, maskName, maskPhone } from './domain/masking.js';

export type { Logger };

const PII_PATHS = ['name', 'idNumber', 'phone'];
const holders = ['member', 'domesticContact', 'body.member', 'body.reason.domesticContact', '*.member'];
const redactPaths = [
  ...holders.flatMap((h) => PII_PATHS.map((p) => `${h}.${p}`)),
  'idNumber',
  'phone',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'password',
  '*.password',
  'defaultPassword',
  '*.defaultPassword',
  'secret',
  '*.secret',
];

function censor(value: unknown, path: string[]): unknown {
  if (typeof value !== 'string') return '[redacted]';
  switch (path[path.length - 1]) {
    case 'idNumber':
      return maskIdNumber(value);
    case 'phone':
      return maskPhone(value);
    case 'name':
      return maskName(value);
    default:
      return '[redacted]';
  }
}

export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'transfer-gateway', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
