// A webhook worker in its own process, so a test can kill -9 it mid-delivery. Options come as JSON in argv[2].
import Redis from 'ioredis';
import { WebhookDeadLetters } from '@vigil/redis';
import { WebhookOutbox, type WebhookOutboxOptions } from '../../libs/alarms/src/webhooks';

async function main(): Promise<void> {
  // everything but the dead letters' repository, which is made here on a connection of this process
  const options = JSON.parse(process.argv[2] ?? '{}') as Omit<WebhookOutboxOptions, 'deadLetters'>;
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  connection.on('error', () => undefined);
  const outbox = new WebhookOutbox({ ...options, deadLetters: new WebhookDeadLetters(connection) });
  // The parent test waits for these lines: they come after the queue has recorded the outcome.
  outbox.on('delivered', (report) => console.log(`delivered ${report.messageId}`));
  outbox.on('dead', (report) => console.log(`dead ${report.messageId}: ${report.error}`));
  await outbox.start();
  console.log('webhook worker ready');
  process.once('SIGTERM', () => {
    void outbox.close().then(() => {
      connection.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(`webhook worker failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
