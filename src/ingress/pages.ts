// The answers the controller gives itself, as ingress-nginx gives them: its default backend's
// `default backend - 404` when no rule matches and no Ingress names a default backend, and
// nginx-style error pages when a matched backend cannot serve (no ready endpoint: 503; the
// connection to the endpoint failed: 502).
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const REASONS: Record<number, string> = { 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable' };

export const NOT_FOUND_TEXT = 'default backend - 404';

const page = (status: number) => {
  const title = `${status} ${REASONS[status] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>tinykube-ingress</center>\r\n</body>\r\n</html>\r\n`;
};

function body(status: number): { type: string; text: string } {
  return status === 404 ? { type: 'text/plain; charset=utf-8', text: NOT_FOUND_TEXT } : { type: 'text/html', text: page(status) };
}

/** Answers a request with the controller's own page for this status. */
export function answer(res: ServerResponse, status: number): void {
  const { type, text } = body(status);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The same answer on a socket whose request asked for an upgrade (no ServerResponse exists for it). */
export function answerSocket(socket: Duplex, status: number): void {
  const { type, text } = body(status);
  // The client may keep its end open after the answer: close the connection once it is written.
  socket.once('finish', () => socket.destroy());
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  } else socket.destroy();
}
