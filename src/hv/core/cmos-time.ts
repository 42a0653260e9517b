/**
 * The wall-clock time at boot, read from the board's CMOS RTC through its
 * ports as Xen's get_cmos_time does (xen/arch/x86/time.c): wait while the
 * update-in-progress bit is set, read seconds … year and the century byte
 * (0x32), decode BCD unless register B says binary and 12-hour unless it
 * says 24-hour, then convert to Unix seconds. Reading ports costs simulated
 * time like any I/O the hypervisor does.
 */
const REG = { SEC: 0x00, MIN: 0x02, HOUR: 0x04, DAY: 0x07, MONTH: 0x08, YEAR: 0x09, A: 0x0a, B: 0x0b, CENTURY: 0x32 } as const;
const A_UIP = 0x80, B_BINARY = 0x04, B_24H = 0x02;
const INDEX_PORT = 0x70, DATA_PORT = 0x71;

export interface PortAccess {
  read(port: number, width: 1): number;
  write(port: number, width: 1, value: number): void;
}

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Unix seconds of the RTC's current time. */
export function readCmosTime(ports: PortAccess): number {
  const reg = (r: number): number => { ports.write(INDEX_PORT, 1, r); return ports.read(DATA_PORT, 1) & 0xff; };
  for (let i = 0; i < 1000 && (reg(REG.A) & A_UIP) !== 0; i++) { /* Xen spins until the update is over */ }
  const b = reg(REG.B);
  const bin = (v: number): number => ((b & B_BINARY) !== 0 ? v : (v >> 4) * 10 + (v & 0xf));
  const sec = bin(reg(REG.SEC)), min = bin(reg(REG.MIN));
  const hourByte = reg(REG.HOUR);
  let hour = bin(hourByte & 0x7f);
  if ((b & B_24H) === 0) hour = (hour % 12) + ((hourByte & 0x80) !== 0 ? 12 : 0);
  const day = bin(reg(REG.DAY)), month = bin(reg(REG.MONTH)), year = bin(reg(REG.YEAR));
  const century = bin(reg(REG.CENTURY));
  const fullYear = century >= 19 && century <= 21 ? century * 100 + year : year < 70 ? 2000 + year : 1900 + year;
  return daysFromCivil(fullYear, month, day) * 86400 + hour * 3600 + min * 60 + sec;
}
