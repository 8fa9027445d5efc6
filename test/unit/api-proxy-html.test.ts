// Links in text/html bodies through services/proxy and pods/proxy, as upstream's proxy transport
// rewrites them (apimachinery pkg/util/proxy/transport.go and its tests' cases).
import { describe, expect, it } from 'vitest';
import { rewriteHtml, rewriteHtmlAsync, URL_ATTRS } from '../../src/server/apiproxy/html.js';
import { rewriteLocation } from '../../src/server/apiproxy/location.js';

const prefix = '/api/v1/namespaces/ns/services/web:80/proxy';
const loc = { backendHost: '127.1.0.1:8080', requestHost: '127.0.0.1:6443', prefix };
const rewrite = (html: string | Buffer) =>
  rewriteHtml(Buffer.isBuffer(html) ? html : Buffer.from(html, 'latin1'), (u) => rewriteLocation(u, loc)).toString('latin1');

describe('rewriteHtml', () => {
  it('prefixes absolute-path and same-host links in upstream’s URL attributes and leaves the rest', () => {
    expect(
      rewrite(
        '<a href="/docs/">d</a><a href="http://127.1.0.1:8080/x?y=1#z">x</a><a href="rel">r</a><a href="//cdn.example/c">c</a><a href="mailto:a@b">m</a>',
      ),
    ).toBe(
      `<a href="${prefix}/docs/">d</a><a href="${prefix}/x?y=1#z">x</a><a href="rel">r</a><a href="//cdn.example/c">c</a><a href="mailto:a@b">m</a>`,
    );
    // Each tag only for its own attributes: a link's src, a div's href are data.
    expect(rewrite('<a src="/s" href="/h"><div href="/d"><img src="/i" usemap="/m" longdesc="/l" alt="/a">')).toBe(
      `<a src="/s" href="${prefix}/h"><div href="/d"><img src="${prefix}/i" usemap="${prefix}/m" longdesc="${prefix}/l" alt="/a">`,
    );
    for (const [tag, attrs] of Object.entries(URL_ATTRS)) {
      for (const a of attrs) expect(rewrite(`<${tag} ${a}="/u">`)).toBe(`<${tag} ${a}="${prefix}/u">`);
    }
  });

  it('prints every start tag as Go’s tokenizer does and copies everything else byte for byte', () => {
    expect(rewrite("<!DOCTYPE html><HTML LANG=en><P Class=x Title='a\"b' hidden>T &amp; &lt;x&gt;</P><br/><IMG SRC=/i.png /></HTML>")).toBe(
      `<!DOCTYPE html><html lang="en"><p class="x" title="a&#34;b" hidden="">T &amp; &lt;x&gt;</P><br/><img src="${prefix}/i.png"/></HTML>`,
    );
    // Character references in values are decoded, then escaped as Go escapes (&, ', <, >, ", CR).
    expect(rewrite('<a title="&quot;x&quot; &amp; &#39;y&#39;" href="/q?a=1&amp;b=2">')).toBe(
      `<a title="&#34;x&#34; &amp; &#39;y&#39;" href="${prefix}/q?a=1&amp;b=2">`,
    );
    // Duplicate attributes are kept, both rewritten.
    expect(rewrite('<a href="/1" href="/2">')).toBe(`<a href="${prefix}/1" href="${prefix}/2">`);
    // Comments, scripts, styles and RCDATA hold no tags.
    const inert =
      '<!-- <a href="/c"> --><script>if (a<b) document.write("<a href=\'/s\'>")</script><style>a[href="/x"]{}</style><textarea><a href="/t"></textarea><title><a href="/t"></title>';
    expect(rewrite(inert)).toBe(inert);
  });

  it('leaves the contents of the tags Go reads as raw text as they are', () => {
    expect(rewrite('<noscript><img src="/n.png"></noscript><img src="/y.png">')).toBe(
      `<noscript><img src="/n.png"></noscript><img src="${prefix}/y.png">`,
    );
    expect(rewrite('<iframe src="/f"><a href="/in"></IFRAME ><a href="/out">')).toBe(
      `<iframe src="${prefix}/f"><a href="/in"></IFRAME ><a href="${prefix}/out">`,
    );
    expect(rewrite('<plaintext><a href="/p"></plaintext><a href="/p">')).toBe('<plaintext><a href="/p"></plaintext><a href="/p">');
  });

  it('keeps bytes that are not UTF-8, and decodes references to UTF-8 as Go does', () => {
    const page = Buffer.concat([
      Buffer.from('<p title="'),
      Buffer.of(0xe9),
      Buffer.from('">caf'),
      Buffer.of(0xe9, 0xff),
      Buffer.from('</p><a href="/caf&eacute;">'),
    ]);
    const out = rewriteHtml(page, (u) => rewriteLocation(u, loc));
    expect(
      out.equals(
        Buffer.concat([
          Buffer.from('<p title="'),
          Buffer.of(0xe9),
          Buffer.from('">caf'),
          Buffer.of(0xe9, 0xff),
          Buffer.from(`</p><a href="${prefix}/caf%C3%A9">`),
        ]),
      ),
    ).toBe(true);
  });

  it('survives malformed markup and returns it with what it could rewrite', () => {
    expect(rewrite('<a href="/x')).toBe('<a href="/x');
    expect(rewrite('<<a href=/y>>< a><')).toBe(`<<a href="${prefix}/y">>< a><`);
    expect(rewrite('')).toBe('');
  });

  it('never throws on random markup, and leaves input without tags as it is', () => {
    const parts = [
      '<',
      '>',
      '/',
      '=',
      '"',
      "'",
      ' ',
      'a',
      'href',
      '/x',
      '<a ',
      '</a',
      '<!--',
      '-->',
      '<script>',
      '</script',
      '&amp;',
      '&#',
      '\xe9',
      '\0',
      '<noscript>',
      '<svg>',
      '<![CDATA[',
      ']]>',
      '<?x',
      '<!doctype',
    ];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 3000; i++) {
      let html = '';
      for (let j = rnd(40); j > 0; j--) html += parts[rnd(parts.length)];
      const out = rewrite(html);
      if (!/<[A-Za-z]/.test(html)) expect(out).toBe(html);
    }
  });
});

describe('rewriteHtmlAsync', () => {
  it('gives the same bytes as rewriteHtml, whatever slices the markup is cut into', async () => {
    const page = Buffer.concat([
      Buffer.from('<!doctype html><noscript><img src="/n"></noscript><script>var s = "<a href=\'/x\'>";</script>'),
      Buffer.from('<a href="/caf&eacute;" title=\'a"b\'>\u00e9</a><IMG SRC=/i.png />'.repeat(50), 'latin1'),
      Buffer.of(0xe9, 0xff),
      Buffer.from('<iframe src="/f"><a href="/in"></iframe><a href="/out">'),
    ]);
    const url = (u: string) => rewriteLocation(u, loc);
    const want = rewriteHtml(page, url);
    for (const slice of [1, 7, 64, 1 << 20]) expect((await rewriteHtmlAsync(page, url, slice)).equals(want)).toBe(true);
  });
});

describe('rewriteLocation escaping', () => {
  it('joins the decoded path and prints it escaped, as Go’s URL.String', () => {
    expect(rewriteLocation('/a%20b/c d', loc)).toBe(`${prefix}/a%20b/c%20d`);
    expect(rewriteLocation('/x/../y/./z/', loc)).toBe(`${prefix}/y/z/`);
    // A bad escape: Go cannot parse it and leaves it.
    expect(rewriteLocation('/bad%zz', loc)).toBe('/bad%zz');
    expect(rewriteLocation('/ctl\x01', loc)).toBe('/ctl\x01');
    // Already through the proxy: kept as written where that is a valid encoding.
    expect(rewriteLocation(`${prefix}/a%2Fb`, loc)).toBe(`${prefix}/a%2Fb`);
  });
});
