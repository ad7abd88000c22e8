import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { newAlarmId, type AlarmEvent } from '@vigil/contracts';
import { mqttAlarmTopic, MqttAlarmSink } from '../../libs/alarms/src/webhooks';
import { Broker } from '../support/mqtt-broker';

function alarmEvent(type: AlarmEvent['type'], camera: string): AlarmEvent {
  const startedAt = Date.now();
  return {
    type,
    alarm: {
      id: newAlarmId(startedAt, randomBytes(5)),
      camera,
      rule: 'intrusion-yard',
      kind: 'intrusion',
      classes: ['person'],
      score: 0.88,
      startedAt,
      lastSeenAt: startedAt,
      endedAt: null,
      state: 'active',
      violations: 1,
      detections: [{ label: 'person', classId: 0, score: 0.88, box: [0.1, 0.2, 0.3, 0.6] }],
      seq: 42,
      snapshot: true,
      clip: { state: 'recording' },
    },
  };
}

describe('MQTT alarm sink (real aedes broker)', () => {
  let broker: Broker;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    broker = await Broker.start();
  });

  after(async () => {
    await broker?.close();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const startSink = async (options: Partial<ConstructorParameters<typeof MqttAlarmSink>[0]> = {}): Promise<MqttAlarmSink> => {
    const sink = new MqttAlarmSink({ url: `mqtt://127.0.0.1:${broker.port}`, reconnectPeriodMs: 100, ...options });
    cleanups.push(() => sink.close(200));
    await sink.start();
    return sink;
  };

  test('a subscriber gets each alarm event as JSON on vigil/alarms/<camera> with QoS 1', { timeout: 20_000 }, async () => {
    const subscriber: MqttClient = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'test-subscriber' });
    cleanups.push(() => subscriber.endAsync(true));
    const received: { topic: string; qos: number; json: unknown }[] = [];
    const gotTwo = new Promise<void>((resolve) => {
      subscriber.on('message', (topic, payload, packet) => {
        received.push({ topic, qos: packet.qos, json: JSON.parse(payload.toString('utf8')) });
        if (received.length === 2) resolve();
      });
    });
    await subscriber.subscribeAsync('vigil/alarms/+', { qos: 1 });

    const sink = await startSink();
    const start = alarmEvent('start', 'gate');
    const end = alarmEvent('end', 'dock-2');
    assert.equal(await sink.publish(start), true, 'acknowledged by the broker');
    assert.equal(await sink.publish(end), true);
    await gotTwo;

    assert.deepEqual(received, [
      { topic: 'vigil/alarms/gate', qos: 1, json: start },
      { topic: 'vigil/alarms/dock-2', qos: 1, json: end },
    ]);
  });

  test('while the broker is away events wait up to maxPending, the rest are dropped and counted; the waiting ones arrive after it is back', { timeout: 30_000 }, async () => {
    const sink = await startSink({ maxPending: 2, clientId: 'sink-outage' });
    const port = broker.port;
    await broker.goAway();

    const events = [alarmEvent('start', 'outage'), alarmEvent('update', 'outage'), alarmEvent('end', 'outage')];
    const acked = [sink.publish(events[0] as AlarmEvent), sink.publish(events[1] as AlarmEvent)];
    assert.equal(await sink.publish(events[2] as AlarmEvent), false, 'the third event finds two waiting and is dropped');
    assert.equal(sink.dropped, 1);

    await broker.listen(port);
    assert.deepEqual(await Promise.all(acked), [true, true]);
    const packets = await broker.packets(mqttAlarmTopic('outage'), 2);
    assert.deepEqual(packets.map((p) => JSON.parse(p.payload.toString())), events.slice(0, 2));
  });

  test('start() refuses a broker that is not there, naming the URL without its password', { timeout: 20_000 }, async () => {
    const sink = new MqttAlarmSink({ url: 'mqtt://user:secret@127.0.0.1:1', connectTimeoutMs: 2000 });
    await assert.rejects(sink.start(), (error: Error) => /MQTT mqtt:\/\/user:\*\*\*@127\.0\.0\.1:1/.test(error.message) && !error.message.includes('secret'));
  });

  test('camera ids that would be MQTT wildcards or levels are refused', () => {
    assert.equal(mqttAlarmTopic('gate_1'), 'vigil/alarms/gate_1');
    for (const id of ['a/b', '+', '#', '']) assert.throws(() => mqttAlarmTopic(id), /cannot be an MQTT topic level/);
  });
});
