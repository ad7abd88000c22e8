// A webhook worker in its own process, so a test can kill -9 it mid-delivery. Options come as JSON in argv[2].
import { WebhookOutbox, type WebhookOutboxOptions } from '../../libs/alarms/src/webhooks';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as WebhookOutboxOptions;
  const outbox = new WebhookOutbox(options);
  // The parent test waits for these lines: they come after the queue has recorded the outcome.
  outbox.on('delivered', (report) => console.log(`delivered ${report.messageId}`));
  outbox.on('dead', (report) => console.log(`dead ${report.messageId}: ${report.error}`));
  await outbox.start();
  console.log('webhook worker ready');
  process.once('SIGTERM', () => {
    void outbox.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(`webhook worker failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
