import { Logger } from '@nestjs/common';
import { ConnectedSocket, MessageBody, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { describeIssues } from '@vigil/config';
import { CLIENT_FORMATS, STREAMS, type Ack, type CameraConfig, type StreamName } from '@vigil/contracts';
import { CamerasService } from '../cameras/cameras.service';
import { FrameFanout } from './frame-fanout';

const subscribeSchema = z
  .object({
    camera: z.string().min(1).max(64),
    stream: z.enum(STREAMS).default('raw'),
    format: z.enum(CLIENT_FORMATS).default('jpeg'),
  })
  .strict();

const unsubscribeSchema = subscribeSchema.extend({ format: z.enum(CLIENT_FORMATS).optional() });

/**
 * Why a camera has no such stream, or undefined when it has. Only inference writes the annotated stream, so a
 * camera without detection would never send a frame on it: a client must hear that now, not wait forever.
 */
export function streamUnavailable(camera: CameraConfig, stream: StreamName): string | undefined {
  if (stream !== 'annotated') return undefined;
  if (!camera.detect) return `camera "${camera.id}" has no annotated stream: it has no detect section, so nothing draws boxes on it (subscribe to the raw stream)`;
  if (!camera.detect.enabled) return `camera "${camera.id}" has no annotated stream: its detection is disabled (detect.enabled is false)`;
  return undefined;
}

/** Socket.IO on the HTTP port: `subscribe` / `unsubscribe` with an ack, `frame` events out. */
@WebSocketGateway({ maxHttpBufferSize: 64 * 1024 })
export class FramesGateway implements OnGatewayInit, OnGatewayDisconnect {
  private readonly logger = new Logger('Gateway');

  constructor(
    private readonly fanout: FrameFanout,
    private readonly cameras: CamerasService,
  ) {}

  afterInit(server: Server): void {
    this.fanout.attach(server);
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    await this.fanout.disconnect(socket);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const parsed = subscribeSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: `bad subscribe request: ${describeIssues(parsed.error)}` };
    const { camera, stream, format } = parsed.data;
    try {
      const config = await this.cameras.find(camera);
      if (!config) return { ok: false, error: `unknown camera "${camera}"` };
      const refused = streamUnavailable(config, stream);
      if (refused) return { ok: false, error: refused };
      await this.fanout.subscribe(socket, camera, stream, format);
      return { ok: true };
    } catch (error) {
      this.logger.warn(`subscribe to ${camera}/${stream} failed: ${(error as Error).message}`);
      return { ok: false, error: `cannot subscribe: ${(error as Error).message}` };
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const parsed = unsubscribeSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: `bad unsubscribe request: ${describeIssues(parsed.error)}` };
    const { camera, stream, format } = parsed.data;
    try {
      const removed = await this.fanout.unsubscribe(socket, camera, stream, format);
      return removed ? { ok: true } : { ok: false, error: `not subscribed to ${camera}/${stream}` };
    } catch (error) {
      return { ok: false, error: `cannot unsubscribe: ${(error as Error).message}` };
    }
  }
}
