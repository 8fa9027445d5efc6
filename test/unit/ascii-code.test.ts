// The bundle is ASCII (scripts/build.mjs: charset ascii, then every non-ASCII character left, which
// esbuild only leaves in comments and regular expression literals, becomes '?'). A non-ASCII
// character in a regular expression would so turn into '?' and break it at run time (a Go
// duration `µs` did): code may have them only in strings, where esbuild escapes them.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = new URL('../../src', import.meta.url).pathname;

/** The line without its string literals and trailing comment. */
const code = (line: string) =>
  line
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, '""')
    .replace(/\/\/.*$/, '')
    .replace(/^\s*(\*|\/\*).*$/, '');

describe('source code outside strings and comments', () => {
  it('is ASCII', () => {
    const bad: string[] = [];
    for (const f of readdirSync(SRC, { recursive: true }).map(String)) {
      if (!f.endsWith('.ts') || f.startsWith('api/generated')) continue;
      readFileSync(join(SRC, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/[^\x00-\x7f]/.test(code(line))) bad.push(`src/${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });
});
