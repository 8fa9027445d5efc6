// How a container runs tinykube itself (the built-in agnhost, src/agnhost): the single executable
// is its own program; otherwise node runs the CLI script of this build, next to the bundle this
// module is in (dist/cli.js beside dist/cluster.cjs), or, run from the sources (vitest), the
// repository's built dist/cli.js.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inSingleExecutable } from '../base/native.js';

declare const __dirname: string | undefined;

let found: string[] | null | undefined;

/** argv that starts tinykube's CLI (`[...selfArgv(), 'agnhost', 'netexec']`), or undefined when this build has none. */
export function selfArgv(): string[] | undefined {
  if (found !== undefined) return found ?? undefined;
  if (inSingleExecutable()) found = [process.execPath];
  else {
    const here = typeof __dirname === 'string' ? __dirname : undefined;
    const cli = here ? [join(here, 'cli.js'), join(here, '..', '..', 'dist', 'cli.js')].find((p) => existsSync(p)) : undefined;
    found = cli ? [process.execPath, cli] : null;
  }
  return found ?? undefined;
}
