import { Inject, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Ack, ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CameraScope } from '@vigil/auth';
import { Authenticator, AuthStore } from '@vigil/platform';
import type { Server, Socket } from 'socket.io';
import { z } from 'zod';
import { describeIssues, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { CAMERA_ID_PATTERN, CLIENT_FORMATS, STREAMS, type Ack as AckResult, type CameraConfig, type StreamName } from '@vigil/contracts';
import { CamerasService } from '../cameras/cameras.service';
import { limitConnectionsPerAddress } from './connection-limit';
import { FrameFanout, SubscriptionRefused } from './frame-fanout';
import { PublishMetrics } from './publish-metrics';
import { SocketRequests } from './socket-requests';
import { SocketAuth, socketIdentity } from './socket-auth';

const subscribeSchema = z
  .object({
    camera: z.string().regex(CAMERA_ID_PATTERN, 'must be a camera id (1-64 letters, digits, "-" or "_")'),
    stream: z.enum(STREAMS).default('raw'),
    format: z.enum(CLIENT_FORMATS).default('jpeg'),
  })
  .strict();

const unsubscribeSchema = subscribeSchema.extend({ format: z.enum(CLIENT_FORMATS).optional() });

const EVENTS = new Set(['subscribe', 'unsubscribe']);

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

/**
 * Socket.IO on the HTTP port: `subscribe` / `unsubscribe` with an ack, `frame`, `detections` and `alarm` events out.
 * Every client is hostile until shown otherwise: at most SOCKETS_PER_ADDRESS_MAX connections per address, each
 * message within SOCKET_MESSAGE_MAX_BYTES (BoundedIoAdapter), each payload checked, each request answered.
 */
@WebSocketGateway()
export class FramesGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private readonly requests: SocketRequests;
  private auth?: SocketAuth;

  constructor(
    private readonly fanout: FrameFanout,
    private readonly cameras: CamerasService,
    private readonly metrics: PublishMetrics,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly authenticator: Authenticator,
    private readonly store: AuthStore,
  ) {
    this.requests = new SocketRequests(metrics);
  }

  afterInit(server: Server): void {
    this.fanout.attach(server);
    this.metrics.observe(server, () => ({ subscriptions: this.fanout.holdings().subscriptions, pendingRequests: this.requests.pending() }));
    const { perAddressMax: max, trustProxyHops } = this.config.socket;
    limitConnectionsPerAddress(server, { max, trustProxyHops, onRefused: () => this.metrics.refusedConnections.inc() });
    this.auth = new SocketAuth(server, this.authenticator, this.store, this.config.auth.allowedOrigins);
    void this.auth.start().catch((error: Error) => this.logger.warn(`cannot follow revocations: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.auth?.stop();
  }

  handleConnection(socket: Socket): void {
    socket.onAny((event: string, ...args: unknown[]) => {
      if (!EVENTS.has(event)) this.requests.unknown(args);
    });
  }

  async handleDisconnect(socket: Socket): Promise<void> {
    this.logger.debug(`socket ${socket.id} disconnected`);
    await this.fanout.disconnect(socket);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    await this.requests.answer(socket, 'subscribe', ack, () => this.trySubscribe(socket, body));
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown, @Ack() ack: unknown): Promise<void> {
    await this.requests.answer(socket, 'unsubscribe', ack, () => this.tryUnsubscribe(socket, body));
  }

  private async trySubscribe(socket: Socket, body: unknown): Promise<AckResult> {
    const parsed = subscribeSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: `bad subscribe request: ${describeIssues(parsed.error)}` };
    const { camera, stream, format } = parsed.data;
    try {
      // a camera out of the socket's scope is as unknown as one that never was
      const config = await this.cameras.findVisible(camera, CameraScope.of(socketIdentity(socket)));
      if (!config) return { ok: false, error: `unknown camera "${camera}"` };
      const refused = streamUnavailable(config, stream);
      if (refused) return { ok: false, error: refused };
      // false: the socket disconnected while this waited, and nothing of the subscription is left
      const subscribed = await this.fanout.subscribe(socket, camera, stream, format);
      return subscribed ? { ok: true } : { ok: false, error: 'disconnected' };
    } catch (error) {
      if (error instanceof SubscriptionRefused) return { ok: false, error: error.message };
      this.logger.warn(`subscribe to ${camera}/${stream} failed: ${(error as Error).message}`);
      return { ok: false, error: `cannot subscribe: ${(error as Error).message}` };
    }
  }

  private async tryUnsubscribe(socket: Socket, body: unknown): Promise<AckResult> {
    const parsed = unsubscribeSchema.safeParse(body);
    if (!parsed.success) return { ok: false, error: `bad unsubscribe request: ${describeIssues(parsed.error)}` };
    const { camera, stream, format } = parsed.data;
    const removed = await this.fanout.unsubscribe(socket, camera, stream, format);
    return removed ? { ok: true } : { ok: false, error: `not subscribed to ${camera}/${stream}` };
  }
}
