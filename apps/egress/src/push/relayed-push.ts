import { FfmpegPush, type FfmpegPushEvents, type PushEnding, type PushProcess } from './ffmpeg-push';
import { pushArgs, type PushSpec } from './push-args';
import { RtspRelay, type RtspRelayOptions, type RtspTarget } from '@vigil/media/push';

/**
 * An RTSP push: the relay (rtsp-relay.ts) first, then ffmpeg pushing to it, so the URL on ffmpeg's command line
 * holds nothing of the target. Seen from the pusher it is one FfmpegPush: frames written before ffmpeg runs are
 * refused as backed up (the pusher keeps them in its queue until `drain`), and its one `exit` carries the relay's
 * reason, when it had one, as the cause. The relay closes when ffmpeg exits, whatever the reason.
 */
export class RelayedPush implements PushProcess {
  private ffmpeg?: FfmpegPush;
  private relay?: RtspRelay;
  private stopping?: 'end' | 'kill';
  private exited = false;
  private settle!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(ffmpeg: string, spec: PushSpec, target: RtspTarget, private readonly events: FfmpegPushEvents, relayOptions: RtspRelayOptions = {}) {
    // the callbacks fire only after this returns (the pusher relies on it): launch() is async throughout
    void this.launch(ffmpeg, spec, target, relayOptions);
  }

  get running(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.ffmpeg?.pid;
  }

  write(bytes: Buffer): boolean {
    return this.ffmpeg?.write(bytes) ?? false;
  }

  get backedUp(): boolean {
    return this.ffmpeg ? this.ffmpeg.backedUp : true;
  }

  async end(): Promise<void> {
    await this.stop('end');
  }

  async kill(): Promise<void> {
    await this.stop('kill');
  }

  private async stop(how: 'end' | 'kill'): Promise<void> {
    if (this.exited) return;
    if (!this.ffmpeg) {
      // launch() sees it once the relay is open, and starts no ffmpeg
      this.stopping = how;
      return this.done;
    }
    await (how === 'end' ? this.ffmpeg.end() : this.ffmpeg.kill());
    await this.done;
  }

  private async launch(ffmpeg: string, spec: PushSpec, target: RtspTarget, relayOptions: RtspRelayOptions): Promise<void> {
    let relay: RtspRelay;
    try {
      relay = await RtspRelay.open(target, relayOptions);
    } catch (error) {
      this.finish({ ending: `could not start: the RTSP relay could not listen: ${(error as Error).message}` });
      return;
    }
    this.relay = relay;
    if (this.stopping) {
      relay.close();
      this.finish({ ending: 'stopped before it started' });
      return;
    }
    try {
      this.ffmpeg = new FfmpegPush(ffmpeg, pushArgs({ ...spec, url: relay.url }), {
        progress: (frames) => this.events.progress(frames),
        drain: () => this.events.drain(),
        exit: (ending) => {
          relay.close();
          this.finish(ending);
        },
      });
    } catch (error) {
      relay.close();
      this.finish({ ending: `could not start ${ffmpeg}: ${(error as Error).message}` });
      return;
    }
    // undefined when the spawn failed; its 'error' then ends the push
    if (this.ffmpeg.pid !== undefined) relay.admit(this.ffmpeg.pid);
    // frames waiting in the pusher's queue can go now
    this.events.drain();
  }

  private finish(ending: PushEnding): void {
    if (this.exited) return;
    this.exited = true;
    this.settle();
    const cause = this.relay?.failure;
    this.events.exit(cause === undefined ? ending : { ...ending, cause });
  }
}
