// multipart/form-data bodies as Go's mime/multipart reads them for r.FormFile and r.FormValue:
// the boundary from the Content-Type, each part's Content-Disposition name and filename (a part
// with a non-empty filename is a file, any other a value).

export interface FormPart {
  name: string;
  /** The file's base name; undefined for a plain value. */
  filename?: string;
  data: Buffer;
}

/** The parts of a multipart/form-data body; undefined when it is not one (Go's ErrNotMultipart, a malformed body). */
export function parseMultipart(body: Buffer, contentType: string): FormPart[] | undefined {
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  const boundary = param(params, 'boundary');
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  const parts: FormPart[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return parts;
    // The rest of the delimiter line (transport padding), then the part's headers.
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', lineEnd);
    if (headersEnd < 0) return undefined;
    const headerText = body.subarray(lineEnd + 2, headersEnd).toString('utf8');
    const dataStart = headersEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), dataStart);
    if (next < 0) return undefined;
    const disposition = headerText
      .split('\r\n')
      .find((l) => /^content-disposition\s*:/i.test(l))
      ?.replace(/^[^:]*:/, '');
    if (disposition && disposition.split(';')[0]!.trim().toLowerCase() === 'form-data') {
      const dparams = disposition.split(';').slice(1);
      const name = param(dparams, 'name');
      const filename = param(dparams, 'filename');
      if (name !== undefined) {
        // FileName() is the base name; an empty one makes the part a value.
        const base = filename ? filename.split('/').pop() : undefined;
        parts.push({ name, filename: base || undefined, data: body.subarray(dataStart, next) });
      }
    }
    pos = next + 2;
  }
}

function param(params: string[], key: string): string | undefined {
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== key) continue;
    const v = p.slice(eq + 1).trim();
    return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
  }
  return undefined;
}
