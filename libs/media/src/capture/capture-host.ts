import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { maskText } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel/process';
import { trackChild } from '../child-processes';
import { CameraCaptureHandle, type CameraHost } from './camera-capture-handle';
import { CAPTURE_NICE_ENV } from './capture-priority';
import type { CaptureJob, CaptureMessage, SupervisorMessage } from './messages';
import { StderrRouter, gstreamerReason } from './stderr-router';

const ENTRY = join(__dirname, 'capture-process.js');
/** thread-pool threads beside the one each camera's read holds: DNS lookups, file reads, an abandoned read or two */
const SPARE_THREADS = 4;
/** how long an empty process has to close Redis and exit */
const RETIRE_GRACE_MS = 2000;

export interface CaptureHostEvents {
  /** the process's last camera ended */
  empty(host: CaptureHost): void;
  /** a camera's read was given up on: it is suspect */
  abandoned(host: CaptureHost, camera: string): void;
  /** the process is gone; `cameras`: those it took with it (none when it left empty, as asked) */
  exited(host: CaptureHost, cameras: string[]): void;
}

export interface CaptureHostOptions {
  /** at most this many cameras at once (1: a camera kept apart) */
  capacity: number;
  /** the process's nice value (CAPTURE_PROCESS_NICE) */
  nice: number;
}

/**
 * One capture process and the cameras in it, seen from the supervisor: forks it, routes its reports and stderr
 * lines to each camera's handle, and tells each handle when the process dies. Threads: each camera's read waits on
 * one of libuv's pool threads, so the pool is sized for the cameras the process may hold.
 */
export class CaptureHost implements CameraHost {
  readonly capacity: number;
  private readonly child: ChildProcess;
  private readonly cameras = new Map<string, CameraCaptureHandle>();
  /** lines no camera claimed */
  private readonly own = new StderrTail({ mask: maskText });
  private readonly router: StderrRouter;
  private exiting = false;
  private gone = false;
  /** cameras given up on whose reads may still hold a thread */
  private stuck = 0;

  constructor(
    readonly id: number,
    { capacity, nice }: CaptureHostOptions,
    private readonly events: CaptureHostEvents,
  ) {
    this.capacity = capacity;
    const marker = `\u001evigil-${randomBytes(12).toString('hex')}`;
    this.router = new StderrRouter(marker, (camera) => this.cameras.has(camera), (camera, line) => this.routeLine(camera, line));
    const threads = Math.max(capacity + SPARE_THREADS, Number(process.env['UV_THREADPOOL_SIZE']) || 0);
    const env: NodeJS.ProcessEnv = { ...process.env, UV_THREADPOOL_SIZE: String(Math.min(threads, 1024)) };
    // at 0 the process inherits the service's priority, as any child does: setting 0 outright would raise it where
    // the service itself runs niced
    if (nice > 0) env[CAPTURE_NICE_ENV] = String(nice);
    else delete env[CAPTURE_NICE_ENV];
    // the process's number alone in argv, so `ps` tells capture processes apart; no camera URL ever goes there
    this.child = trackChild(
      fork(ENTRY, ['--host', String(id)], {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
        env,
      }),
    );
    this.send({ type: 'hello', marker });
    this.child.stderr
      ?.setEncoding('utf8')
      .on('data', (chunk: string) => this.router.write(chunk))
      .on('end', () => this.router.end());
    this.child.on('message', (message: CaptureMessage) => this.cameras.get(message.camera)?.onEvent(message));
    this.child.on('exit', (code, signal) => this.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`));
    this.child.on('error', (error) => this.onExit(error.message));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Cameras in it, and the threads of abandoned ones: both count against its capacity. */
  get load(): number {
    return this.cameras.size + this.stuck;
  }

  /** Takes new cameras: alive, not leaving, with room. */
  get open(): boolean {
    return !this.gone && !this.exiting && this.load < this.capacity;
  }

  start(job: CaptureJob): CameraCaptureHandle {
    const handle = new CameraCaptureHandle(job.camera, this);
    this.cameras.set(job.camera, handle);
    handle.once('ended', () => this.forget(job.camera, handle));
    // alone, the camera may open the way that waits for its first frame: it holds nobody up, and fails with a reason
    const own = this.capacity === 1 ? { ...job, launch: job.launchAlone } : job;
    if (!this.send({ type: 'job', job: own })) handle.onHostExit('could not be reached');
    return handle;
  }

  stopCamera(camera: string): boolean {
    return this.send({ type: 'stop', camera });
  }

  abandonCamera(camera: string): void {
    this.events.abandoned(this, camera);
    if (this.cameras.size <= 1) {
      // alone in its process: killing the process frees the stuck thread, and nobody else is hurt
      this.child.kill('SIGKILL');
      return;
    }
    this.stuck += 1;
    this.send({ type: 'abandon', camera });
  }

  /** Asks an empty process to leave (it closes Redis and exits). */
  retire(): void {
    if (this.cameras.size > 0 || this.gone) return;
    this.exiting = true;
    if (!this.send({ type: 'exit' })) this.child.kill('SIGKILL');
    // a read that never returned keeps its pool thread, and Node joins the pool's threads at exit: such a process
    // cannot leave on its own
    setTimeout(() => this.child.kill('SIGKILL'), RETIRE_GRACE_MS).unref();
  }

  private routeLine(camera: string | undefined, line: string): void {
    const handle = camera === undefined ? undefined : this.cameras.get(camera);
    // a line no camera claims is the only camera's when it is alone: there is nobody else it could be about
    const only = this.cameras.size === 1 ? this.cameras.values().next().value : undefined;
    (handle ?? only)?.stderr.writeLine(line);
    if (!handle) this.own.writeLine(line);
  }

  private forget(camera: string, handle: CameraCaptureHandle): void {
    if (this.cameras.get(camera) !== handle) return;
    this.cameras.delete(camera);
    if (this.cameras.size === 0 && !this.gone) this.events.empty(this);
  }

  private onExit(detail: string): void {
    if (this.gone) return;
    this.gone = true;
    const cameras = [...this.cameras.keys()];
    const reason = gstreamerReason(this.own.lines()) ?? detail;
    this.events.exited(this, cameras);
    for (const handle of [...this.cameras.values()]) handle.onHostExit(reason);
  }

  private send(message: SupervisorMessage): boolean {
    if (this.gone || !this.child.connected) return false;
    this.child.send(message, (error) => error && this.child.kill('SIGKILL'));
    return true;
  }
}
