/**
 * Requests Node's HTTP parser refuses before Express sees them (a malformed request line or header,
 * conflicting Content-Length and Transfer-Encoding, a bad chunk, headers over the size limit, a
 * request that did not arrive whole within REQUEST_TIMEOUT_MS) get the same problem+json answer as
 * every other refusal, then the connection closes. Node's default is a bare status line.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemOf } from './problem.js';
import { AppError } from '../domain/errors.js';

function answerFor(code: string | undefined): { status: number; error: AppError } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      error: new AppError('malformed', 'REQUEST_TIMEOUT', 'the request did not arrive whole in time'),
    };
  if (code === 'HPE_HEADER_OVERFLOW')
    return {
      status: 431,
      error: new AppError('malformed', 'HEADERS_TOO_LARGE', 'the request headers are larger than the limit'),
    };
  return {
    status: 400,
    error: new AppError('malformed', 'MALFORMED_REQUEST', 'the request could not be read'),
  };
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * The refused request's method, when it can be known: from the request line in the bytes the parser
 * refused, or from the request it had begun. Undefined when neither shows it (the bytes refused were
 * from the middle of a long header, say).
 */
function methodOf(err: NodeJS.ErrnoException, inFlight: unknown): string | undefined {
  const raw = (err as { rawPacket?: unknown }).rawPacket;
  if (Buffer.isBuffer(raw)) {
    const line = /^([A-Z]{3,10}) \S/.exec(raw.subarray(0, 16).toString('latin1'));
    if (line) return line[1];
  }
  return (inFlight as { req?: { method?: string } } | null | undefined)?.req?.method;
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A connection the client already dropped, or one whose response has started: nothing to say
    // (a second status line would corrupt what the peer reads). Node's own handler draws the same line.
    const inFlight = (
      socket as { _httpMessage?: { headersSent?: boolean; req?: { method?: string } } | null }
    )._httpMessage;
    const busy = Boolean(inFlight?.headersSent);
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    const { status, error } = answerFor(err.code);
    const statusLine = `HTTP/1.1 ${status} ${REASON[status] ?? 'Bad Request'}\r\n`;
    // An answer to HEAD carries the headers of the problem but no content (the client could not tell
    // where it ends). When the method cannot be known, the status line alone, as Node sends it.
    const method = methodOf(err, inFlight);
    if (method === undefined) {
      socket.end(`${statusLine}Content-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const body = JSON.stringify({ ...problemOf(error), status, title: REASON[status] ?? 'Bad Request' });
    socket.end(
      statusLine +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        (method === 'HEAD' ? '' : body),
    );
  });
}
