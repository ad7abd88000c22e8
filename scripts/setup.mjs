#!/usr/bin/env node
// Installs what vigil needs, idempotently, then builds. `npm run demo` and `npm test` call it first.
// Fast when everything is there: one dpkg query, one hash compare, an incremental tsc.
//   --with-test-tools  also the headless browser the end-to-end tests drive
//   --with-bench-tools also Debian's python3-opencv and python3-redis, for the bench's peer (seed 003's Python loop)
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const withTestTools = process.argv.includes('--with-test-tools');
const withBenchTools = process.argv.includes('--with-bench-tools');

// Debian bookworm packages: OpenCV with its GStreamer backend, GStreamer's decoders/encoders and
// RTSP server, ffmpeg, redis-server (see shared TOOLCHAIN notes).
const RUNTIME_PACKAGES = [
  'libopencv-dev',
  'gstreamer1.0-plugins-base',
  'gstreamer1.0-plugins-good',
  'gstreamer1.0-plugins-ugly',
  'gstreamer1.0-plugins-bad',
  'gstreamer1.0-libav',
  'gstreamer1.0-tools',
  'ffmpeg',
  'redis-server',
  'gir1.2-gst-rtsp-server-1.0',
  'python3-gi',
];
const TEST_PACKAGES = ['chromium'];
// the bench runs the scripts vigil replaces next to it, with the same Debian OpenCV
const BENCH_PACKAGES = ['python3-opencv', 'python3-redis'];

// Native add-ons: build OpenCV's against the system library (its own download cannot work
// offline) and skip ONNX Runtime's CUDA download (the CPU provider ships in the package).
const NPM_ENV = { OPENCV4NODEJS_DISABLE_AUTOBUILD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip', JOBS: 'max' };

function step(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options, env: { ...process.env, ...options.env } });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${result.status}`);
}

const TICK_MS = 20_000;

/**
 * Runs a long step with its output kept back, saying every TICK_MS what it is doing and for how long, so a silent
 * compile never looks hung. Resolves to the exit code and the output, which the caller prints only when it matters.
 */
function runQuietly(what, command, args, options = {}) {
  const started = Date.now();
  const ticker = setInterval(() => step(`${what}... ${elapsed(started)}`), TICK_MS);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    const done = (code, error) => {
      clearInterval(ticker);
      resolve({ code, output: Buffer.concat(output).toString('utf8') + (error ? `${error.message}\n` : '') });
    };
    child.once('error', (error) => done(-1, error));
    child.once('close', (code) => done(code ?? -1));
  });
}

function elapsed(since) {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The last lines of a failed command's output, for the error message. */
function tail(output, lines = 30) {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) throw new Error(`Node ${process.versions.node} is too old: vigil needs Node 20 or newer`);
}

function missingDebianPackages(packages) {
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...packages], { encoding: 'utf8' });
  if (query.error) return undefined; // not a Debian system
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => /^\S+ ii/.test(line)) // "ii" = wanted and installed
      .map((line) => line.split(' ')[0].replace(/:.*$/, '')), // drop any ":amd64" suffix
  );
  return packages.filter((name) => !installed.has(name));
}

async function installSystemPackages() {
  const wanted = [...RUNTIME_PACKAGES, ...(withTestTools ? TEST_PACKAGES : []), ...(withBenchTools ? BENCH_PACKAGES : [])];
  const missing = missingDebianPackages(wanted);
  if (missing === undefined) {
    step('not a Debian system: make sure OpenCV (with GStreamer), GStreamer plugins, ffmpeg and redis-server are installed');
    return;
  }
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(`missing Debian packages; install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  }
  step(`installing Debian packages (about a minute): ${missing.join(' ')}`);
  const started = Date.now();
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const result = await runQuietly('installing Debian packages', 'apt-get', args, { env });
    if (result.code !== 0) throw new Error(`apt-get ${args[0]} failed:\n${tail(result.output)}`);
  }
  step(`Debian packages installed in ${elapsed(started)}`);
}

function dependencyHash() {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) {
    const path = join(root, file);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  hash.update(process.versions.modules); // a new Node ABI needs the add-ons rebuilt
  return hash.digest('hex');
}

async function installNpmDependencies() {
  const marker = join(root, 'node_modules', '.vigil-setup');
  const hash = dependencyHash();
  const addon = join(root, 'node_modules', '@u4', 'opencv4nodejs', 'build', 'Release', 'opencv4nodejs.node');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash && existsSync(addon)) return;
  const fresh = !existsSync(join(root, 'node_modules'));
  step(`installing npm dependencies${fresh ? ' (the OpenCV add-on compiles for a few minutes)' : ''}`);
  const started = Date.now();
  const npm = (args) => runQuietly('installing npm dependencies', 'npm', [...args, '--no-audit', '--no-fund'], { env: NPM_ENV });
  let result;
  if (fresh && existsSync(join(root, 'package-lock.json'))) {
    // the lock file holds every platform's optional packages (test/unit/lock-file.test.ts), so npm ci takes it as it is
    result = await npm(['ci']);
    if (result.code !== 0 && /npm error code EUSAGE/.test(result.output)) {
      step('package-lock.json is out of step with package.json: installing with npm install instead');
      result = await npm(['install']);
    }
  } else {
    result = await npm(['install']);
  }
  if (result.code !== 0) throw new Error(`npm could not install the dependencies:\n${tail(result.output)}`);
  step(`npm dependencies installed in ${elapsed(started)}`);
  if (!existsSync(addon)) {
    const rebuilt = await runQuietly('building the OpenCV add-on', 'npm', ['rebuild', '@u4/opencv4nodejs'], { env: NPM_ENV });
    if (rebuilt.code !== 0 || !existsSync(addon)) throw new Error(`the OpenCV add-on did not build:\n${tail(rebuilt.output)}`);
  }
  writeFileSync(marker, hash);
}

function build() {
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  run(bin('tsc'), ['-b', 'tsconfig.build.json']);
  run(bin('tsc-alias'), ['-p', 'tsconfig.build.json']);
}

try {
  const started = Date.now();
  checkNode();
  await installSystemPackages();
  await installNpmDependencies();
  build();
  step(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  process.stderr.write(`[setup] ${error.message}\n`);
  process.exit(1);
}
