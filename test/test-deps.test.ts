// The programs the launcher tests need are installed in one place, before any test starts (npm's
// pretest: scripts/test-deps.ts), one install at a time: with everything there it does nothing;
// without root, without apt-get or when apt-get fails it returns one line naming the packages; it
// installs every missing package in one apt-get call. No test or helper runs apt-get itself.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ensurePrograms, TEST_PROGRAMS, type Installer } from '../scripts/test-deps.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function installer(o: Partial<Installer> & { onInstall?: (p: string[]) => void }): Installer & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    root: o.root ?? true,
    apt: o.apt ?? true,
    calls,
    install(p) {
      calls.push(p);
      o.onInstall?.(p);
    },
  };
}

test('with every program there, nothing is installed', (t) => {
  const i = installer({});
  t.is(ensurePrograms({ has: () => true, installer: i }), null);
  t.deepEqual(i.calls, []);
});

test('missing programs are installed in one apt-get call, each package once', (t) => {
  const have = new Set(['redis-server']);
  const i = installer({ onInstall: () => Object.keys(TEST_PROGRAMS).forEach((c) => have.add(c)) });
  t.is(ensurePrograms({ has: (c) => have.has(c), installer: i }), null);
  t.deepEqual(i.calls, [['munge', 'slurmctld', 'slurmd', 'slurm-client']]);
});

test('without root, without apt-get, or when apt-get fails: one line naming the packages, at once', (t) => {
  const has = (c: string) => c !== 'munged' && c !== 'sbatch';
  const notRoot = installer({ root: false });
  const line = ensurePrograms({ has, installer: notRoot })!;
  t.deepEqual(notRoot.calls, []);
  t.is(line.split('\n').length, 1);
  t.regex(line, /need the Debian package\(s\) munge slurm-client \(missing: munged, sbatch\); install them as root: apt-get install munge slurm-client$/);
  t.regex(ensurePrograms({ has, installer: installer({ apt: false }) })!, /munge slurm-client .*apt-get is not available here/);
  const failing = installer({ onInstall: () => { throw new Error('see /tmp/log'); } });
  t.regex(ensurePrograms({ has, installer: failing })!, /munge slurm-client .*apt-get install failed: see \/tmp\/log$/);
  t.regex(ensurePrograms({ has, installer: installer({}) })!, /still missing after apt-get install: munged, sbatch$/);
});

test('npm test installs them before any test starts; no test or helper runs apt-get', (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.is(pkg.scripts['pretest'], 'tsx scripts/test-deps.ts');
  const helpers = readdirSync(join(ROOT, 'test')).filter((f) => f.endsWith('.ts') && f !== 'test-deps.test.ts');
  t.deepEqual(helpers.filter((f) => /(execFileSync|execFile|spawnSync|spawn)\(\s*'apt-get'/.test(readFileSync(join(ROOT, 'test', f), 'utf8'))), []);
});
