import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';

/** A real MQTT broker (aedes) on a TCP port; its sockets are tracked so a test can cut every client off. */
export class Broker {
  readonly published: AedesPublishPacket[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(private readonly aedes: Aedes) {
    // Only packets from clients: aedes also publishes $SYS topics of its own.
    aedes.on('publish', (packet, client) => {
      if (client) this.published.push(packet);
    });
  }

  static async start(): Promise<Broker> {
    const broker = new Broker(await Aedes.createBroker());
    await broker.listen(0);
    return broker;
  }

  async listen(port: number): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.aedes.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every connection, like a broker restart (its sessions stay in memory). */
  async goAway(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** Resolves once `count` client packets on `topic` have arrived. */
  async packets(topic: string, count: number, timeoutMs = 10_000): Promise<AedesPublishPacket[]> {
    const deadline = Date.now() + timeoutMs;
    const matching = (): AedesPublishPacket[] => this.published.filter((p) => p.topic === topic);
    while (matching().length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`broker: ${matching().length} of ${count} packets on ${topic} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.aedes.once('publish', done);
      });
    }
    return matching();
  }

  async close(): Promise<void> {
    await this.goAway();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }
}

