// A headless Chromium for the browser tests and the report screenshot, with nothing downloaded:
// IRNN_CHROMIUM (a path, or "npm" for the packaged build), else Debian's /usr/bin/chromium when it
// is installed, else the Chromium build shipped inside the @sparticuz/chromium npm package (a dev
// dependency), unpacked once per version into the temp folder. Launched through playwright-core.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
/** As root, without a sandbox; no background traffic (the network is closed here). */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Unpacks the npm package's Chromium (brotli-compressed) unless this version already is. The
 *  package unpacks into os.tmpdir(); pointing that at a fresh folder and renaming the folder when
 *  complete means a concurrent process never starts a half-written binary. */
async function packagedChromium(): Promise<string> {
  // The package exports no package.json; its entry is build/cjs/index.cjs.
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8')) as { version: string };
  const final = join(tmpdir(), `irnn-chromium-${pkg.version}`);
  const binary = join(final, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(`${final}-`);
  const saved = process.env['TMPDIR'];
  try {
    process.env['TMPDIR'] = staging;
    await (await import('@sparticuz/chromium')).default.executablePath();
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
  try {
    renameSync(staging, final);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process unpacked it first
  }
  return binary;
}

/** The Chromium to use and where it came from. */
export async function findChromium(): Promise<{ path: string; source: string }> {
  const wanted = process.env['IRNN_CHROMIUM'];
  if (wanted && wanted !== 'npm') {
    if (!existsSync(wanted)) throw new Error(`IRNN_CHROMIUM=${wanted}: no such file`);
    return { path: wanted, source: `IRNN_CHROMIUM=${wanted}` };
  }
  if (wanted !== 'npm' && existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: `Debian's ${SYSTEM_CHROMIUM}` };
  return { path: await packagedChromium(), source: 'the @sparticuz/chromium npm package' };
}

export async function launchChromium(): Promise<{ browser: Browser; source: string }> {
  const { path, source } = await findChromium();
  return { browser: await chromium.launch({ executablePath: path, args: ARGS }), source };
}
