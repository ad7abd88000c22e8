/**
 * A process of fan-out viewers (bench/fanout.ts forks several, so the clients' own CPU is spread like real browsers'
 * would be). The viewer count and camera come in the first IPC message, the token too (never argv); it reports
 * `ready`, counts between `start` and `stop`, and answers with its tallies.
 */
import { Viewer } from './live-clients';

interface Job {
  url: string;
  token: string;
  camera: string;
  viewers: number;
}

const viewers: Viewer[] = [];

process.on('message', (message: { type: 'job'; job: Job } | { type: 'start' } | { type: 'stop' }) => {
  if (message.type === 'job') void open(message.job);
  else if (message.type === 'start') for (const v of viewers) v.counting = true;
  else if (message.type === 'stop') {
    for (const v of viewers) v.counting = false;
    const latencies = viewers.flatMap((v) => v.tally.latencies);
    process.send?.({ type: 'tally', frames: viewers.map((v) => v.tally.frames), missed: viewers.reduce((s, v) => s + v.tally.missed, 0), latencies });
    for (const v of viewers) v.close();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(0));

async function open(job: Job): Promise<void> {
  try {
    for (let i = 0; i < job.viewers; i++) viewers.push(new Viewer(job.url, job.token));
    // a few at a time: a burst of hundreds of handshakes would measure the handshake, not the fan-out
    for (let i = 0; i < viewers.length; i += 20) await Promise.all(viewers.slice(i, i + 20).map((v) => v.subscribe([job.camera])));
    process.send?.({ type: 'ready' });
  } catch (error) {
    process.send?.({ type: 'failed', error: (error as Error).message });
  }
}
