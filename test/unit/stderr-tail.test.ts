import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maskerFor } from '@vigil/contracts';
import { StderrTail } from '@vigil/kernel';

const OUTPUT = 'first line\nrtspsrc0 reported: Could not open resource rtsp://admin:hunter2@cam.local/live\r\nWARN: last words\n';

describe('StderrTail', () => {
  test('a line split between two chunks at any position is kept whole (bug guarded: the capture copy split it in two)', () => {
    const mask = maskerFor('rtsp://admin:hunter2@cam.local/live');
    const whole = new StderrTail({ mask });
    whole.write(OUTPUT);
    for (let cut = 0; cut <= OUTPUT.length; cut += 1) {
      const tail = new StderrTail({ mask });
      tail.write(OUTPUT.slice(0, cut));
      tail.write(OUTPUT.slice(cut));
      assert.deepEqual(tail.lines(), whole.lines(), `cut at ${cut}`);
    }
    assert.equal(whole.lines().length, 3);
  });

  test('one character per chunk still gives whole lines; \\r\\n across chunks makes no empty line', () => {
    const tail = new StderrTail();
    for (const char of OUTPUT) tail.write(char);
    assert.deepEqual(tail.lines(), ['first line', 'rtspsrc0 reported: Could not open resource rtsp://admin:hunter2@cam.local/live', 'WARN: last words']);
  });

  test('a last line without its newline is kept only once the stream ends', () => {
    const tail = new StderrTail();
    tail.write('one\ntwo');
    assert.deepEqual(tail.lines(), ['one']);
    tail.end();
    assert.deepEqual(tail.lines(), ['one', 'two']);
  });

  test('secrets are masked as lines are kept, also when a chunk boundary falls inside the secret', () => {
    const mask = maskerFor('rtsp://admin:hunter2@cam.local/live');
    const text = 'error: auth failed for hunter2 at rtsp://admin:hunter2@cam.local/live\n';
    for (let cut = 0; cut <= text.length; cut += 1) {
      const tail = new StderrTail({ mask });
      tail.write(text.slice(0, cut));
      tail.write(text.slice(cut));
      const [line] = tail.lines();
      assert.ok(line && !line.includes('hunter2'), `cut at ${cut}: ${line}`);
    }
  });

  test('bounded in lines: the last ones are kept', () => {
    const tail = new StderrTail({ maxLines: 3 });
    for (let i = 0; i < 100; i += 1) tail.write(`line ${i}\n`);
    assert.deepEqual(tail.lines(), ['line 97', 'line 98', 'line 99']);
    assert.deepEqual(tail.last(2), ['line 98', 'line 99']);
    assert.deepEqual(tail.last(0), []);
  });

  test('bounded in size: all lines together, and one endless line without a newline', () => {
    const tail = new StderrTail({ maxLines: 100, maxChars: 100 });
    for (let i = 0; i < 50; i += 1) tail.write(`${'x'.repeat(30)} ${i}\n`);
    assert.ok(tail.lines().join('').length <= 100, `${tail.lines().join('').length} characters kept`);
    assert.match(tail.lines().at(-1)!, / 49$/);

    const endless = new StderrTail({ maxChars: 100 });
    for (let i = 0; i < 1000; i += 1) endless.write('y'.repeat(64));
    endless.write(' the end of it\n');
    const [cut, ...more] = endless.lines();
    assert.deepEqual(more, [], 'the rest of the endless line is dropped, not kept as lines of its own');
    assert.ok(cut!.length <= 100 && cut!.startsWith('yyy') && cut!.endsWith('…'), cut);
    endless.write('next\n');
    assert.deepEqual(endless.lines(), ['next'], 'the cut line counts toward the bound like any other');
  });

  test('blank lines are not kept', () => {
    const tail = new StderrTail();
    tail.write('\n\n   \r\nreal\n\n');
    assert.deepEqual(tail.lines(), ['real']);
  });
});
