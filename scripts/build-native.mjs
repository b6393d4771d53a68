// Builds the native fused-recurrence addon (binding.gyp -> build/Release/irnn_kernels.node) with
// node-gyp; run by `npm install` / `npm ci`. It never fails the install: on any problem it prints
// one line and the TypeScript kernels are used. IRNN_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(root, 'build', 'Release', 'irnn_kernels.node');
const logFile = path.join(root, 'build', 'native-build.log');
const FALLBACK = 'the TypeScript kernels will be used';

/** Ways to run node-gyp, most specific first: [command, leading args]. */
function nodeGypCommands() {
  const found = [];
  const script = (p) => existsSync(p) && found.push([process.execPath, [p]]);
  // npm sets npm_execpath during lifecycle scripts; its bundled node-gyp sits beside it.
  if (process.env.npm_execpath) {
    script(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  script(path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  // npm's own copy next to the node binary (Linux/macOS prefix layout, then Windows).
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  script(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  script(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  found.push(['node-gyp', []]); // whatever is on PATH
  return found;
}

/** Node's headers shipped with this node binary, so node-gyp need not download them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? [`--nodedir=${prefix}`] : [];
}

function build(extraEnv) {
  let log = '';
  for (const [cmd, lead] of nodeGypCommands()) {
    const r = spawnSync(cmd, [...lead, 'rebuild', ...nodedirArgs()], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...extraEnv },
      timeout: 10 * 60 * 1000,
    });
    log += `$ ${cmd} ${lead.join(' ')} rebuild\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}\n`;
    if (r.error && r.error.code === 'ENOENT') continue; // this node-gyp does not exist: next
    return { ok: r.status === 0, log };
  }
  return { ok: false, log: `${log}node-gyp not found\n` };
}

function loads() {
  try {
    createRequire(import.meta.url)(addon);
    return '';
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

function main() {
  if (process.env.IRNN_SKIP_NATIVE) {
    console.log(`irnn: native kernels skipped (IRNN_SKIP_NATIVE); ${FALLBACK}.`);
    return;
  }
  // First tuned for this CPU (-march=native); if the compiler refuses, a portable build.
  let result = build({});
  if (!result.ok) {
    const second = build({ IRNN_PORTABLE: '1' });
    result = { ok: second.ok, log: result.log + second.log };
  }
  const loadError = result.ok ? loads() : 'build failed';
  if (result.ok && !loadError) {
    console.log('irnn: native kernels built (build/Release/irnn_kernels.node).');
    return;
  }
  try {
    mkdirSync(path.dirname(logFile), { recursive: true });
    writeFileSync(logFile, result.log);
  } catch {
    // no log then; the one line below still says what happened
  }
  console.log(`irnn: native kernels not available (${loadError}; see build/native-build.log); ${FALLBACK}.`);
}

try {
  main();
} catch (e) {
  console.log(`irnn: native kernels not built (${e instanceof Error ? e.message : e}); ${FALLBACK}.`);
}
process.exitCode = 0;
