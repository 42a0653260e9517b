/**
 * Movable I/O windows for PCI BARs, on a port bus that can only register.
 *
 * The guest may move an I/O BAR at any time; `PortBus` offers `register` but
 * no `unregister`. So the first time a port is covered by any BAR window, a
 * one-port forwarder is registered there for good; each access asks which
 * window covers the port *now* and forwards to its device at the right
 * offset, or answers like an unclaimed port (all ones, writes dropped) when
 * no window does. A port another device already claims is left to it (on a
 * real bus two decoders on one port is a guest error with undefined result).
 *
 *   port bus:  ... [fwd][fwd][fwd][fwd] ...  (one per port ever used by a BAR)
 *                     \    |    |    /
 *   windows:        { base, size, device }   (the BARs' current placement)
 */
import type { IoWidth, PortDevice } from "./device.js";

export type PortRegistrar = (base: number, count: number, device: PortDevice) => void;

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

interface Window {
  base: number;
  size: number;
  device: PortDevice;
}

export class PciIoSpace {
  private readonly windows = new Set<Window>();
  private readonly forwarded = new Set<number>();

  /** @param register places a device on the port bus, e.g. `(b, n, d) => portBus.register(b, n, d)` */
  constructor(private readonly register: PortRegistrar) {}

  /** Decode [base, base+size) to `device`; returns a handle for `unmap`. */
  map(base: number, size: number, device: PortDevice): object {
    const window: Window = { base, size, device };
    this.windows.add(window);
    for (let port = base; port < base + size; port++) this.forward(port);
    return window;
  }

  unmap(handle: object): void {
    this.windows.delete(handle as Window);
  }

  private forward(port: number): void {
    if (this.forwarded.has(port)) return;
    this.forwarded.add(port);
    const forwarder: PortDevice = {
      portRead: (_offset: number, width: IoWidth) => {
        const w = this.find(port);
        return w === undefined ? WIDTH_MASK[width] : w.device.portRead(port - w.base, width);
      },
      portWrite: (_offset: number, width: IoWidth, value: number) => {
        const w = this.find(port);
        if (w !== undefined) w.device.portWrite(port - w.base, width, value);
      },
    };
    try {
      this.register(port, 1, forwarder);
    } catch {
      // Claimed by a fixed device; it keeps the port.
    }
  }

  private find(port: number): Window | undefined {
    for (const w of this.windows) if (port >= w.base && port < w.base + w.size) return w;
    return undefined;
  }
}
