// netexec's HTTP endpoints, as upstream's handlers answer them: bodies, status codes, JSON
// shapes and the log line each one prints (upstream logs "GET /..." whatever the method).
import type { ServerResponse } from 'node:http';
import { goParseDuration, goPrint, goQuote } from '../apimachinery/go-format.js';
import { dialHandler } from './dial.js';
import { canonicalHeaderKey, formValue, goHeader, goJSON, GoServeMux, redirect, writeResponse } from './go-http.js';
import { goDurationString, goNow } from './go-time.js';
import { combinedOutput } from './shell.js';
import { goAtoi } from './strconv.js';
import { uploadHandler } from './upload.js';

/** What the endpoints need from the running netexec. */
export interface NetexecState {
  log(text: string): void;
  hostname(): string;
  /** The UDP (or SCTP) server is serving: /healthz and /readyz. */
  ready(): boolean;
  /** SIGTERM arrived: /readyz answers 503. */
  terminating(): boolean;
  /** os.Exit. */
  exit(code: number): void;
  /** Stop accepting, let open connections finish for up to timeoutMs, then exit with code. */
  shutdown(code: number, timeoutMs: number): void;
  shell: string;
  uploadDir: string;
  dialTimeoutMs: number;
}

export function netexecRoutes(s: NetexecState): GoServeMux {
  const mux = new GoServeMux();
  const text = (res: ServerResponse, body: string, code = 200) => writeResponse(res, code, body);
  // os.Exit: the connection goes with the process. Run in-process (tests), exit returns, and the
  // connection is dropped as the process's end would drop it.
  const exitNow = (res: ServerResponse, code: number) => {
    s.exit(code);
    res.socket?.destroy();
  };
  const hostname = () => {
    const name = s.hostname();
    s.log(`hostname: ${name}`);
    return name;
  };

  mux.handle('/', (_req, res) => {
    s.log('GET /');
    text(res, `NOW: ${goNow()}`);
  });

  mux.handle('/clientip', (req, res) => {
    s.log('GET /clientip');
    text(res, req.remoteAddr);
  });

  mux.handle('/header', async (req, res) => {
    const key = await formValue(req, 'key');
    if (key !== '') {
      s.log(`GET /header?key=${key}`);
      text(res, goHeader(req.rawHeaders)[canonicalHeaderKey(key)]?.[0] ?? '');
    } else {
      s.log('GET /header');
      text(res, goJSON(goHeader(req.rawHeaders)));
    }
  });

  mux.handle('/dial', (req, res) => dialHandler(req, res, { log: s.log, timeoutMs: s.dialTimeoutMs }));

  mux.handle('/echo', async (req, res) => {
    const msg = await formValue(req, 'msg');
    const codeString = await formValue(req, 'code');
    s.log(`GET /echo?msg=${msg}&code=${codeString}`);
    let code = 200;
    if (codeString !== '') {
      try {
        code = goAtoi(codeString);
      } catch {
        return text(res, `argument 'code' must be an integer or empty, got ${goQuote(codeString)}\n`);
      }
    }
    text(res, msg, code);
  });

  mux.handle('/exit', async (req, res) => {
    const waitString = await formValue(req, 'wait');
    const timeoutString = await formValue(req, 'timeout');
    const codeString = await formValue(req, 'code');
    s.log(`GET /exit?code=${codeString}&timeout=${timeoutString}&wait=${waitString}`);
    // Like time.ParseDuration and strconv.Atoi upstream: an empty value is 0, an invalid one is answered (200).
    const parse = <T>(value: string, zero: T, fn: (v: string) => T, complaint: string): T | undefined => {
      if (value === '') return zero;
      try {
        return fn(value);
      } catch {
        text(res, `${complaint}, got ${goQuote(value)}\n`);
        return undefined;
      }
    };
    const timeout = parse(timeoutString, 0, goParseDuration, "argument 'timeout' must be a valid golang duration or empty");
    if (timeout === undefined) return;
    const wait = parse(waitString, 0, goParseDuration, "argument 'wait' must be a valid golang duration or empty");
    if (wait === undefined) return;
    const code = parse(codeString, 0, goAtoi, "argument 'code' must be an integer [0-127] or empty");
    if (code === undefined) return;
    s.log(
      `Will begin shutdown in ${goDurationString(wait)}, allowing ${goDurationString(timeout)} for connections to close, then will exit with ${code}`,
    );
    if (wait > 0) await new Promise((r) => setTimeout(r, wait / 1e6));
    // Without a timeout the process ends at once, and the request gets no answer.
    if (timeout === 0) return exitNow(res, code);
    text(res, '');
    s.shutdown(code, timeout / 1e6);
  });

  mux.handle('/healthz', (_req, res) => {
    s.log('GET /healthz');
    text(res, '', s.ready() ? 200 : 412);
  });

  mux.handle('/readyz', (_req, res) => {
    s.log('GET /readyz');
    if (s.terminating()) text(res, 'shutting down', 503);
    else if (s.ready()) text(res, 'ok');
    else text(res, '', 412);
  });

  mux.handle('/hostname', (_req, res) => {
    s.log('GET /hostname');
    text(res, hostname());
  });

  mux.handle('/redirect', async (req, res) => {
    const location = await formValue(req, 'location');
    const codeString = await formValue(req, 'code');
    s.log(`${req.method} /redirect?msg=${location}&code=${codeString}`);
    let code = 302;
    if (codeString !== '') {
      try {
        code = goAtoi(codeString);
      } catch {
        return text(res, `argument 'code' must be an integer or empty, got ${goQuote(codeString)}\n`);
      }
    }
    redirect(req, res, location, code);
  });

  mux.handle('/shell', async (req, res) => {
    const cmd = (await formValue(req, 'shellCommand')) || (await formValue(req, 'cmd'));
    s.log(`GET /shell?cmd=${cmd}`);
    const result = await combinedOutput(s.shell, cmd);
    const output: Record<string, string> = {};
    if (result.output.length > 0) output.output = result.output.toString('utf8');
    if (result.error !== undefined) output.error = result.error;
    s.log(`Output: ${goPrint(output)}`);
    text(res, goJSON(output));
  });

  mux.handle('/upload', (req, res) => uploadHandler(req, res, s.uploadDir, s.log));

  // The older spellings upstream keeps.
  mux.handle('/hostName', (_req, res) => {
    s.log('GET /hostName');
    text(res, hostname());
  });

  mux.handle('/shutdown', (_req, res) => {
    s.log('GET /shutdown');
    exitNow(res, 0);
  });

  return mux;
}
