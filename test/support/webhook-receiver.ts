import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../libs/alarms/src/webhooks';

/** One request as the receiver saw it. */
export interface ReceivedWebhook {
  id: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
  /** null when the signature checked out, else why it did not */
  invalid: string | null;
}

/** What to answer: a status code, or 'hold' to keep the request open until the client goes away. */
export type Reply = number | 'hold';

export interface WebhookReceiver {
  url: string;
  port: number;
  /** every request, duplicates included */
  readonly requests: readonly ReceivedWebhook[];
  /** valid webhooks by webhook-id: what a receiver that dedupes would process */
  readonly unique: ReadonlyMap<string, ReceivedWebhook>;
  /** Resolves with the first request (past or future) that matches. */
  nextRequest(match: (request: ReceivedWebhook) => boolean, what: string, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Resolves once `count` distinct valid webhook-ids have arrived. */
  uniqueCount(count: number, timeoutMs?: number): Promise<void>;
  /** Answers every request held open so far with `status`. */
  releaseHeld(status: number): void;
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  secret: string;
  /** a fixed port (to bring a receiver up where a delivery already failed); default any free one */
  port?: number;
  /** how to answer each request; default 204 */
  reply?: (request: ReceivedWebhook) => Reply;
}

/**
 * A real HTTP webhook receiver that verifies signatures like a careful consumer and dedupes on webhook-id. A request
 * with a bad signature gets 401, so the sender sees it as a failure too.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const unique = new Map<string, ReceivedWebhook>();
  const waiters = new Set<() => void>();
  const held = new Map<ServerResponse, ReceivedWebhook>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = req.headers['webhook-id'] as string | undefined;
      let invalid: string | null = null;
      try {
        verifyWebhook(options.secret, body, req.headers);
      } catch (error) {
        invalid = (error as Error).message;
      }
      const received: ReceivedWebhook = { id, headers: req.headers, body, invalid };
      requests.push(received);
      const reply: Reply = invalid ? 401 : (options.reply?.(received) ?? 204);
      if (reply === 'hold') {
        held.set(res, received);
        res.on('close', () => held.delete(res));
      } else {
        answer(res, received, reply);
      }
      for (const wake of [...waiters]) wake();
    });
  });

  function answer(res: ServerResponse, received: ReceivedWebhook, status: number): void {
    const { id, invalid } = received;
    if (!invalid && id !== undefined && status >= 200 && status < 300 && !unique.has(id)) unique.set(id, received);
    res.writeHead(status).end();
    for (const wake of [...waiters]) wake();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const until = (check: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`webhook receiver: timed out after ${timeoutMs} ms waiting for ${what}; got ${requests.length} requests (${unique.size} unique valid)`));
      }, timeoutMs);
      waiters.add(wake);
      wake();
    });

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    unique,
    async nextRequest(match, what, timeoutMs = 15_000) {
      await until(() => requests.some(match), what, timeoutMs);
      return requests.find(match) as ReceivedWebhook;
    },
    uniqueCount: (count, timeoutMs = 15_000) => until(() => unique.size >= count, `${count} unique webhooks`, timeoutMs),
    releaseHeld: (status) => {
      for (const [res, received] of [...held]) {
        held.delete(res);
        answer(res, received, status);
      }
    },
    close: async () => {
      for (const res of held.keys()) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
