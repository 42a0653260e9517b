import { test } from "node:test";
import assert from "node:assert/strict";
import { Uart16550 } from "./uart16550.js";

class RecordingIrq {
  high = false;
  raises = 0;
  raise(): void {
    this.high = true;
    this.raises++;
  }
  lower(): void {
    this.high = false;
  }
}

function setup() {
  const irq = new RecordingIrq();
  const out: number[] = [];
  const uart = new Uart16550(irq, (b) => out.push(b));
  const rd = (o: number) => uart.portRead(o, 1);
  const wr = (o: number, v: number) => uart.portWrite(o, 1, v);
  return { irq, out, uart, rd, wr };
}

test("reset state: THR empty, no interrupt, modem lines CTS DSR DCD", () => {
  const { rd } = setup();
  assert.equal(rd(5), 0x60);
  assert.equal(rd(2), 0x01);
  assert.equal(rd(6), 0xb0);
  assert.equal(rd(3), 0x00);
});

test("THR writes reach the sink; DLAB redirects offsets 0 and 1 to the divisor latch", () => {
  const { out, uart, rd, wr } = setup();
  wr(0, 0x41);
  wr(3, 0x80);
  wr(0, 0x01);
  wr(1, 0x02);
  assert.equal(uart.divisor, 0x0201);
  assert.equal(rd(0), 0x01);
  assert.equal(rd(1), 0x02);
  wr(3, 0x03);
  assert.equal(rd(1), 0x00, "IER untouched by the DLM write");
  wr(0, 0x42);
  assert.deepEqual(out, [0x41, 0x42]);
  assert.equal(rd(5) & 0x60, 0x60);
});

test("received data: DR, RDA interrupt when enabled, cleared by reading RBR", () => {
  const { irq, uart, rd, wr } = setup();
  uart.receive(new Uint8Array([0x61]));
  assert.equal(rd(5) & 1, 1);
  assert.equal(irq.high, false, "ERBFI clear: no interrupt");
  wr(1, 0x01);
  assert.equal(irq.high, true);
  assert.equal(rd(2), 0x04);
  assert.equal(rd(0), 0x61);
  assert.equal(irq.high, false);
  assert.equal(rd(2), 0x01);
  assert.equal(rd(5) & 1, 0);
});

test("THRE interrupt: raised on enable, cleared by reading IIR, re-asserted by each THR write", () => {
  const { irq, rd, wr } = setup();
  wr(1, 0x02);
  assert.equal(irq.high, true);
  assert.equal(rd(2), 0x02);
  assert.equal(irq.high, false);
  assert.equal(rd(2), 0x01, "reading IIR cleared the THRE source");
  const before = irq.raises;
  wr(0, 0x55);
  assert.equal(irq.high, true);
  assert.equal(irq.raises, before + 1, "a fresh edge for the PIC");
  wr(0, 0x56);
  assert.equal(irq.raises, before + 2);
  wr(1, 0x00);
  assert.equal(irq.high, false);
});

test("interrupt priority: line status > received data > THRE > modem status", () => {
  const { rd, wr } = setup();
  wr(4, 0x10); // loopback
  rd(6); // clear modem deltas caused by entering loopback
  wr(1, 0x0f);
  wr(0, 0x01); // RBR full
  wr(0, 0x02); // overrun (FIFOs off)
  wr(4, 0x12); // RTS -> CTS change in loopback: modem status delta
  assert.equal(rd(2), 0x06, "overrun error first");
  assert.equal(rd(5) & 0x03, 0x03, "DR and OE");
  assert.equal(rd(2), 0x04, "then received data");
  assert.equal(rd(0), 0x02, "16450 mode: the overrunning byte replaced RBR");
  assert.equal(rd(2), 0x02, "then THRE");
  assert.equal(rd(2), 0x00, "then modem status");
  assert.equal(rd(6) & 0x11, 0x11, "CTS set, DCTS delta");
  assert.equal(rd(2), 0x01);
});

test("FIFO mode: trigger level, timeout indication, IIR bits 7:6, FIFO reset", () => {
  const { uart, rd, wr } = setup();
  wr(2, 0x41); // enable, trigger 4
  wr(1, 0x01);
  uart.receive(new Uint8Array([1, 2]));
  assert.equal(rd(2), 0xcc, "below trigger: character timeout");
  uart.receive(new Uint8Array([3, 4]));
  assert.equal(rd(2), 0xc4, "at trigger: data available");
  assert.equal(rd(0), 1);
  wr(2, 0x43); // clear RX FIFO
  assert.equal(rd(5) & 1, 0);
  assert.equal(rd(2), 0xc1);
});

test("host input beyond the FIFO waits and arrives in order, without overrun", () => {
  const { uart, rd, wr } = setup();
  wr(2, 0x01);
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
  uart.receive(bytes);
  const got: number[] = [];
  while (rd(5) & 1) got.push(rd(0));
  assert.deepEqual(got, [...bytes]);
  assert.equal(rd(5) & 0x02, 0);
});

test("loopback: THR goes to the receiver, not the sink; MSR mirrors MCR", () => {
  const { out, rd, wr } = setup();
  wr(3, 0x03);
  wr(4, 0x10 | 0x0f);
  wr(0, 0x5a);
  assert.deepEqual(out, []);
  assert.equal(rd(0), 0x5a);
  assert.equal(rd(6) & 0xf0, 0xf0);
  wr(4, 0x10 | 0x08); // drop DTR, RTS, OUT1
  assert.equal(rd(6), 0x80 | 0x04 | 0x02 | 0x01, "DCD; TERI, DDSR, DCTS deltas");
  assert.equal(rd(6), 0x80, "deltas cleared by the read");
});

test("scratch register and OUT2 gating option", () => {
  const { irq, uart, rd, wr } = setup();
  wr(7, 0xa5);
  assert.equal(rd(7), 0xa5);
  uart.out2GatesIrq = true;
  wr(1, 0x02);
  assert.equal(irq.high, false, "OUT2 clear: INTR not on the bus");
  wr(4, 0x08);
  assert.equal(irq.high, true);
});

test("a 16-bit access splits into byte cycles", () => {
  const { rd, uart, wr } = setup();
  wr(3, 0x80);
  uart.portWrite(0, 2, 0x0c01);
  assert.equal(rd(0), 0x01);
  assert.equal(rd(1), 0x0c);
  assert.equal(uart.portRead(0, 2), 0x0c01);
});
