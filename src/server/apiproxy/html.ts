// Links inside text/html bodies that come back through services/proxy and pods/proxy, rewritten as
// upstream's proxy transport does (apimachinery pkg/util/proxy/transport.go): every start tag is
// written back as Go's html tokenizer prints a token (lower-case names, each attribute as
// key="value" with Go's escaping, `/>` kept), and the URL-valued attributes of the tags in
// URL_ATTRS go through the same rewriting as a redirect's Location. Everything between start tags
// (text, end tags, comments, doctype) is copied byte for byte, as Go copies the raw token.
//
// The body is handled as bytes: parsed as latin1, so that positions are byte offsets and bytes
// that are not UTF-8 (a page in another charset) pass unchanged, as in Go, whose strings are
// bytes. Character references in attribute values decode to UTF-8 bytes, as Go's unescape does.
// Tokenizing is htmlparser2's; where its idea of raw text differs from Go's (Go also treats the
// contents of iframe, noembed, noframes, noscript and plaintext as text) those contents are
// copied unchanged here too.
import { Parser } from 'htmlparser2';

/** apimachinery proxy atomsToAttrs: which attributes of which tags hold URLs. */
export const URL_ATTRS: Readonly<Record<string, readonly string[]>> = {
  a: ['href'],
  applet: ['codebase'],
  area: ['href'],
  audio: ['src'],
  base: ['href'],
  blockquote: ['cite'],
  body: ['background'],
  button: ['formaction'],
  command: ['icon'],
  del: ['cite'],
  embed: ['src'],
  form: ['action'],
  frame: ['longdesc', 'src'],
  head: ['profile'],
  html: ['manifest'],
  iframe: ['longdesc', 'src'],
  img: ['longdesc', 'src', 'usemap'],
  input: ['src', 'usemap', 'formaction'],
  ins: ['cite'],
  link: ['href'],
  object: ['classid', 'codebase', 'data', 'usemap'],
  q: ['cite'],
  script: ['src'],
  source: ['src'],
  video: ['poster', 'src'],
};

/** Tags whose contents Go's tokenizer reads as text up to their end tag (plaintext: to the end). */
const GO_RAW_TAGS = new Set(['iframe', 'noembed', 'noframes', 'noscript', 'plaintext']);

/** The latin1 ("one char per byte") form of a code point's UTF-8 bytes. */
const utf8Bytes = (cp: number) => Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');

const asciiLower = (s: string) => (/[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s);

const GO_ESCAPES: Record<string, string> = { '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\r': '&#13;' };

/** Go's html.EscapeString, which Token.String applies to attribute values. */
function goEscape(s: string): string {
  return /[&'<>"\r]/.test(s) ? s.replace(/[&'<>"\r]/g, (c) => GO_ESCAPES[c]!) : s;
}

/**
 * Rewrites the HTML document `body` (bytes). `rewriteUrl` gets and returns URLs as latin1 strings
 * of their bytes, which for ASCII URLs is the text itself.
 */
export function rewriteHtml(body: Buffer, rewriteUrl: (url: string) => string): Buffer {
  const r = rewriter(body.toString('latin1'), rewriteUrl);
  r.parser.end(r.src);
  return r.result();
}

/**
 * The same, a slice at a time with a turn of the event loop between slices: a large page costs the
 * API server no long stall (about 20 ms per 256 KiB of markup dense with links).
 */
export async function rewriteHtmlAsync(body: Buffer, rewriteUrl: (url: string) => string, slice = 256 * 1024): Promise<Buffer> {
  const r = rewriter(body.toString('latin1'), rewriteUrl);
  for (let i = 0; i < r.src.length; i += slice) {
    r.parser.write(r.src.slice(i, i + slice));
    await new Promise((res) => setImmediate(res));
  }
  r.parser.end();
  return r.result();
}

/** A parser over `src` (positions in it are byte offsets) that collects the rewritten document. */
function rewriter(src: string, rewriteUrl: (url: string) => string) {
  let out = '';
  let copied = 0;
  let attrs: [string, string][] = [];
  let rawUntil = -1;
  let tagStart = -1;
  const parser = new Parser(
    {
      onattribute(name, value) {
        attrs.push([name, value]);
      },
      onopentag(name, _attribs, isImplied) {
        const a = attrs;
        attrs = [];
        const start = tagStart;
        const end = parser.endIndex;
        // Implied tags have no text of their own; tags inside Go's raw text stay as they are.
        if (isImplied || start < rawUntil || src[start] !== '<' || src[end] !== '>') return;
        const tag = asciiLower(src.slice(start + 1, start + 1 + name.length));
        const urlAttrs = URL_ATTRS[tag];
        let text = `<${tag}`;
        for (const [key, value] of a) {
          const k = asciiLower(key);
          text += ` ${k}="${goEscape(urlAttrs?.includes(k) ? rewriteUrl(value) : value)}"`;
        }
        text += src[end - 1] === '/' ? '/>' : '>';
        out += src.slice(copied, start) + text;
        copied = end + 1;
        if (GO_RAW_TAGS.has(tag)) rawUntil = tag === 'plaintext' ? src.length : rawEnd(src, tag, end + 1);
      },
    },
    { decodeEntities: true, lowerCaseAttributeNames: false },
  );
  // Two hooks into the parser's tokenizer callbacks (internal, so the version is pinned): where a
  // tag's `<` is (parser.startIndex is off by one after an end tag like `</a >`), and character
  // references decoded to their UTF-8 bytes (in this latin1 string) rather than to one char.
  const internal = parser as unknown as {
    onopentagname(start: number, end: number): void;
    onattribentity(cp: number): void;
    attribvalue: string;
  };
  const openTagName = internal.onopentagname;
  internal.onopentagname = function (this: typeof internal, start: number, end: number) {
    tagStart = start - 1;
    openTagName.call(this, start, end);
  };
  internal.onattribentity = function (this: typeof internal, cp: number) {
    this.attribvalue += utf8Bytes(cp);
  };
  return {
    src,
    parser,
    result: () => Buffer.from(out + src.slice(copied), 'latin1'),
  };
}

/** Where Go's raw text of `tag` that starts at `from` ends: its end tag, or the end of input. */
function rawEnd(src: string, tag: string, from: number): number {
  const re = new RegExp(`</${tag}[\\s/>]`, 'gi');
  re.lastIndex = from;
  const m = re.exec(src);
  return m ? m.index : src.length;
}
