import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';

/**
 * Socket.IO with the message size bound from the config (SOCKET_MESSAGE_MAX_BYTES as maxHttpBufferSize): a gateway
 * decorator's options are fixed when the class loads, before the environment is read. A larger message closes the
 * connection before it is parsed.
 */
export class BoundedIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly maxMessageBytes: number,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, { ...options, maxHttpBufferSize: this.maxMessageBytes } as ServerOptions) as Server;
  }
}
