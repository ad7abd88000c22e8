import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StderrRouter, gstreamerReason } from '@vigil/media/capture/stderr-router';

const MARKER = '\u001evigil-0123456789abcdef';

function route(chunks: string[], cameras = ['cam1', 'cam-2']): [string | undefined, string][] {
  const routed: [string | undefined, string][] = [];
  const router = new StderrRouter(MARKER, (camera) => cameras.includes(camera), (camera, line) => routed.push([camera, line]));
  for (const chunk of chunks) router.write(chunk);
  router.end();
  return routed;
}

describe('StderrRouter: the shared stderr of a capture process, line by line to its cameras', () => {
  test('by the element that reported it, a camera id with dashes included', () => {
    assert.deepEqual(route(['GStreamer warning: Embedded video playback halted; module cam-2-rtspsrc reported: Could not open resource\n']), [
      ['cam-2', 'GStreamer warning: Embedded video playback halted; module cam-2-rtspsrc reported: Could not open resource'],
    ]);
  });

  test('by the camera whose open or close it was written during, across chunk boundaries', () => {
    assert.deepEqual(route([`${MARKER} cam1\nunable to st`, `art pipeline\n${MARKER} -\nlater\n`]), [
      ['cam1', 'unable to start pipeline'],
      [undefined, 'later'],
    ]);
  });

  test("attacker: a stream's text cannot pose as a marker or claim a camera the process does not hold", () => {
    const routed = route(['\u001evigil-guess cam1\n', 'module other-rtspsrc reported: x\n', 'module rtspsrc0 reported: y\n']);
    assert.deepEqual(routed.map(([camera]) => camera), [undefined, undefined, undefined]);
  });

  test('an endless line is passed on once, cut, and the rest dropped', () => {
    const routed = route([`${'x'.repeat(20_000)}`, `${'y'.repeat(20_000)}\nnext\n`]);
    assert.equal(routed.length, 2);
    assert.ok(routed[0]![1].length <= 20_000);
    assert.equal(routed[1]![1], 'next');
  });
});

describe('gstreamerReason', () => {
  test('the last element report, without the camera prefix; else the last warning', () => {
    assert.equal(gstreamerReason(['module cam1-rtspsrc reported: Could not open resource', 'noise'], 'cam1'), 'rtspsrc: Could not open resource');
    assert.equal(gstreamerReason(['module typefind reported: Could not determine type of stream.'], 'cam1'), 'typefind: Could not determine type of stream.');
    assert.equal(gstreamerReason(['OpenCV | GStreamer warning: unable to start pipeline']), 'unable to start pipeline');
    assert.equal(gstreamerReason(['nothing telling']), undefined);
  });
});
