// netexec's /upload: the multipart form's "file" written to a new file `upload<random>` (mode
// 0700) in the upload directory, answered 201 {"output": path}, or 200 {"error": ...} with
// upstream's texts. Upstream writes to /uploads, a directory of its image; without one,
// tinykube uses $TMPDIR/uploads.
import { randomInt } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { goJSON, writeResponse, type GoRequest } from './go-http.js';
import { parseMultipart } from './multipart.js';

export function defaultUploadDir(): string {
  return existsSync('/uploads') && statSync('/uploads').isDirectory() ? '/uploads' : join(tmpdir(), 'uploads');
}

/** os.CreateTemp(dir, "upload"): a new file whose name ends in a random number. */
function createTemp(dir: string): { fd: number; path: string } {
  for (let i = 0; ; i++) {
    const path = join(dir, `upload${randomInt(0, 2 ** 32)}`);
    try {
      return { fd: openSync(path, 'wx', 0o600), path };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i >= 10000) throw e;
    }
  }
}

export async function uploadHandler(req: GoRequest, res: ServerResponse, dir: string, log: (text: string) => void): Promise<void> {
  log('GET /upload');
  const fail = (error: string, cause: string) => {
    log(`${error.replace(/\.$/, '')}: ${cause}`);
    writeResponse(res, 200, goJSON({ error }));
  };
  const parts = parseMultipart(await req.body(), req.header('content-type'));
  if (!parts) return fail('Unable to upload file.', "request Content-Type isn't multipart/form-data");
  const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
  if (!file) return fail('Unable to upload file.', 'http: no such file');
  let created: { fd: number; path: string };
  try {
    if (dir !== '/uploads' && !existsSync(dir)) mkdirSync(dir);
    created = createTemp(dir);
  } catch (e) {
    return fail('Unable to open file for write', (e as Error).message);
  }
  try {
    writeSync(created.fd, file.data);
  } catch (e) {
    return fail('Unable to write file.', (e as Error).message);
  } finally {
    closeSync(created.fd);
  }
  try {
    chmodSync(created.path, 0o700);
  } catch (e) {
    return fail('Unable to chmod file.', (e as Error).message);
  }
  log(`Wrote upload to ${created.path}`);
  writeResponse(res, 201, goJSON({ output: created.path }));
}
