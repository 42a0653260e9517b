/**
 * Proleptic Gregorian calendar arithmetic on Unix time (seconds since
 * 1970-01-01 00:00:00 UTC, no leap seconds), for the CMOS clock.
 *
 * Pure integer functions after Howard Hinnant's days_from_civil /
 * civil_from_days ("chrono-Compatible Low-Level Date Algorithms"); they use
 * no host Date object, so the RTC depends on nothing but its inputs.
 */

export interface CivilTime {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
  hour: number; // 0..23
  minute: number;
  second: number;
  /** Day of week, 1 = Sunday .. 7 = Saturday (MC146818 register 6). */
  weekday: number;
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromSeconds(unix: number): CivilTime {
  const days = Math.floor(unix / 86400);
  const secs = unix - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day,
    hour: Math.floor(secs / 3600),
    minute: Math.floor(secs / 60) % 60,
    second: secs % 60,
    weekday: (((days + 4) % 7) + 7) % 7 + 1, // 1970-01-01 was a Thursday (5)
  };
}

export function secondsFromCivil(t: Omit<CivilTime, "weekday">): number {
  return daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}
