import { test } from "node:test";
import assert from "node:assert/strict";
import { PicPair } from "./pic8259.js";

/** Program the pair as PC BIOSes and Linux do: vectors 0x20 and 0x28, cascade on IR2, 8086 mode. */
function setup(icw4 = 0x01) {
  const pic = new PicPair();
  const m = pic.master;
  const s = pic.slave;
  m.portWrite(0, 1, 0x11);
  m.portWrite(1, 1, 0x20);
  m.portWrite(1, 1, 0x04);
  m.portWrite(1, 1, icw4);
  s.portWrite(0, 1, 0x11);
  s.portWrite(1, 1, 0x28);
  s.portWrite(1, 1, 0x02);
  s.portWrite(1, 1, icw4);
  return { pic, m, s };
}

test("an edge on IRQ 1 is delivered as vector 0x21 and put in service until EOI", () => {
  const { pic, m } = setup();
  assert.equal(pic.hasInterrupt(), false);
  pic.irqLine(1).raise();
  assert.equal(pic.hasInterrupt(), true);
  assert.equal(pic.acknowledge(), 0x21);
  assert.equal(pic.hasInterrupt(), false);
  m.portWrite(0, 1, 0x0b); // OCW3: read ISR
  assert.equal(m.portRead(0, 1), 0x02);
  m.portWrite(0, 1, 0x20); // non-specific EOI
  assert.equal(m.portRead(0, 1), 0x00);
});

test("edge triggering: a pulse stays latched; a held line does not request again", () => {
  const { pic, m } = setup();
  const line = pic.irqLine(0);
  line.raise();
  line.lower();
  assert.equal(pic.acknowledge(), 0x20);
  m.portWrite(0, 1, 0x20);
  line.raise();
  assert.equal(pic.acknowledge(), 0x20);
  m.portWrite(0, 1, 0x20);
  line.raise(); // still high: no new edge
  assert.equal(pic.hasInterrupt(), false);
  line.lower();
  line.raise();
  assert.equal(pic.hasInterrupt(), true);
});

test("fully nested priority: a higher IRQ interrupts a lower one, not the reverse", () => {
  const { pic, m } = setup();
  pic.irqLine(3).raise();
  assert.equal(pic.acknowledge(), 0x23);
  pic.irqLine(5).raise();
  assert.equal(pic.hasInterrupt(), false, "IRQ 5 waits for IRQ 3");
  pic.irqLine(1).raise();
  assert.equal(pic.acknowledge(), 0x21, "IRQ 1 nests");
  m.portWrite(0, 1, 0x20); // EOI clears IRQ 1 (highest in service)
  assert.equal(pic.hasInterrupt(), false);
  m.portWrite(0, 1, 0x63); // specific EOI for IRQ 3
  assert.equal(pic.acknowledge(), 0x25);
});

test("IMR masks requests without losing them", () => {
  const { pic, m } = setup();
  m.portWrite(1, 1, 0x10); // mask IRQ 4 only
  assert.equal(m.portRead(1, 1), 0x10);
  pic.irqLine(4).raise();
  assert.equal(pic.hasInterrupt(), false);
  m.portWrite(0, 1, 0x0a); // read IRR
  assert.equal(m.portRead(0, 1), 0x10);
  m.portWrite(1, 1, 0x00);
  assert.equal(pic.acknowledge(), 0x24);
});

test("cascade: IRQ 10 arrives through master IR2 with the slave's vector", () => {
  const { pic, m, s } = setup();
  pic.irqLine(10).raise();
  assert.equal(pic.hasInterrupt(), true);
  assert.equal(pic.acknowledge(), 0x2a);
  m.portWrite(0, 1, 0x0b);
  s.portWrite(0, 1, 0x0b);
  assert.equal(m.portRead(0, 1), 0x04);
  assert.equal(s.portRead(0, 1), 0x04);
  pic.irqLine(9).raise();
  assert.equal(pic.hasInterrupt(), false, "master IR2 in service blocks the slave");
  s.portWrite(0, 1, 0x20);
  m.portWrite(0, 1, 0x20);
  assert.equal(pic.acknowledge(), 0x29);
});

test("spurious interrupts: vector of IR7 / IR15 without setting that ISR bit", () => {
  const { pic, m, s } = setup();
  assert.equal(pic.acknowledge(), 0x27);
  m.portWrite(0, 1, 0x0b);
  assert.equal(m.portRead(0, 1), 0x00);
  // A slave request withdrawn in level mode before INTA gives IRQ 15.
  s.portWrite(0, 1, 0x19); // ICW1 with LTIM
  s.portWrite(1, 1, 0x28);
  s.portWrite(1, 1, 0x02);
  s.portWrite(1, 1, 0x01);
  const line = pic.irqLine(12);
  line.raise();
  assert.equal(pic.hasInterrupt(), true);
  m.portWrite(1, 1, 0x04); // mask IR2 so we can withdraw the request, then unmask
  line.lower();
  m.portWrite(1, 1, 0x00);
  assert.equal(pic.acknowledge(), 0x2f);
  s.portWrite(0, 1, 0x0b);
  assert.equal(s.portRead(0, 1), 0x00);
});

test("auto-EOI leaves ISR clear", () => {
  const { pic, m } = setup(0x03);
  pic.irqLine(6).raise();
  assert.equal(pic.acknowledge(), 0x26);
  m.portWrite(0, 1, 0x0b);
  assert.equal(m.portRead(0, 1), 0x00);
  pic.irqLine(7).raise();
  assert.equal(pic.acknowledge(), 0x27, "nothing in service blocks IRQ 7");
});

test("rotate on non-specific EOI makes the serviced level lowest", () => {
  const { pic, m } = setup();
  pic.irqLine(1).raise();
  assert.equal(pic.acknowledge(), 0x21);
  m.portWrite(0, 1, 0xa0); // rotate on non-specific EOI: IR1 lowest, IR2 highest
  pic.irqLine(0).raise();
  pic.irqLine(4).raise();
  assert.equal(pic.acknowledge(), 0x24, "IR4 now outranks IR0");
});

test("special mask mode lets lower levels in while a masked level is in service", () => {
  const { pic, m } = setup();
  pic.irqLine(0).raise();
  assert.equal(pic.acknowledge(), 0x20);
  m.portWrite(1, 1, 0x01);
  m.portWrite(0, 1, 0x68); // OCW3: set special mask
  pic.irqLine(5).raise();
  assert.equal(pic.acknowledge(), 0x25);
  m.portWrite(0, 1, 0x48); // reset special mask
  pic.irqLine(6).raise();
  assert.equal(pic.hasInterrupt(), false);
});

test("poll mode returns 0x80 | level and acknowledges it", () => {
  const { pic, m } = setup();
  pic.irqLine(3).raise();
  m.portWrite(0, 1, 0x0c);
  assert.equal(m.portRead(0, 1), 0x83);
  m.portWrite(0, 1, 0x0c);
  assert.equal(m.portRead(0, 1), 0x00);
  m.portWrite(0, 1, 0x0b);
  assert.equal(m.portRead(0, 1), 0x08);
});

test("onChange fires when INTR rises and falls", () => {
  const { pic } = setup();
  const seen: boolean[] = [];
  pic.onChange = () => seen.push(pic.hasInterrupt());
  pic.irqLine(14).raise();
  pic.acknowledge();
  assert.deepEqual(seen, [true, false]);
});

test("ICW1 resets IMR, ISR and IRR and needs a new edge", () => {
  const { pic, m } = setup();
  m.portWrite(1, 1, 0xff);
  pic.irqLine(1).raise();
  m.portWrite(0, 1, 0x11);
  m.portWrite(1, 1, 0x30);
  m.portWrite(1, 1, 0x04);
  m.portWrite(1, 1, 0x01);
  assert.equal(m.portRead(1, 1), 0x00);
  assert.equal(pic.hasInterrupt(), false);
  pic.irqLine(1).lower();
  pic.irqLine(1).raise();
  assert.equal(pic.acknowledge(), 0x31);
});
