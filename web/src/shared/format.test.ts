import { describe, expect, it } from "vitest";
import { formatCLP, formatEventDateTime, formatEventTime, isoToSantiagoInput, isoToSantiagoText, santiagoInputToIso, santiagoTextToIso } from "./i18n";

describe("es-CL formats", () => {
  it("writes pesos with a dot for thousands and no decimals", () => {
    expect(formatCLP(12000)).toBe("$12.000");
    expect(formatCLP(1234567)).toBe("$1.234.567");
    expect(formatCLP(0)).toBe("$0");
  });

  it("shows event times on Santiago's clock whatever the device's zone", () => {
    // 2026-12-19 00:30 UTC is 21:30 the evening before in Santiago (summer time, UTC-3).
    expect(formatEventTime("2026-12-19T00:30:00Z")).toBe("21:30");
    expect(formatEventDateTime("2026-12-19T00:30:00Z")).toMatch(/vie.*18.*dic.*2026.*21:30/);
    // In July Santiago is on UTC-4.
    expect(formatEventTime("2026-07-10T00:30:00Z")).toBe("20:30");
  });
});

describe("datetime-local fields read on Santiago's clock", () => {
  it("turns a summer wall-clock time into the instant (UTC-3)", () => {
    expect(santiagoInputToIso("2026-12-19T21:00")).toBe("2026-12-20T00:00:00.000Z");
  });

  it("turns a winter wall-clock time into the instant (UTC-4)", () => {
    expect(santiagoInputToIso("2026-07-09T20:30")).toBe("2026-07-10T00:30:00.000Z");
  });

  it("round-trips an instant through the field", () => {
    for (const iso of ["2026-12-20T00:00:00.000Z", "2026-07-10T00:30:00.000Z", "2027-03-01T15:45:00.000Z"]) {
      expect(santiagoInputToIso(isoToSantiagoInput(iso))).toBe(iso);
    }
  });

  it("refuses what is not a datetime-local value", () => {
    expect(() => santiagoInputToIso("19/12/2026 21:00")).toThrow(RangeError);
  });
});

describe("the console's date fields: es-CL text on Santiago's clock", () => {
  it("shows an instant as dd-mm-aaaa hh:mm in Santiago", () => {
    expect(isoToSantiagoText("2026-12-20T00:00:00.000Z")).toBe("19-12-2026 21:00");
    expect(isoToSantiagoText("2026-07-10T00:30:00.000Z")).toBe("09-07-2026 20:30");
  });

  it("reads what a person types, in summer and in winter", () => {
    expect(santiagoTextToIso("19-12-2026 21:00")).toBe("2026-12-20T00:00:00.000Z");
    expect(santiagoTextToIso(" 9/7/2026 20:30 ")).toBe("2026-07-10T00:30:00.000Z");
    expect(santiagoTextToIso("01.03.2027, 9:05")).toBe("2027-03-01T12:05:00.000Z");
  });

  it("round-trips through the field", () => {
    for (const iso of ["2026-12-20T00:00:00.000Z", "2026-07-10T00:30:00.000Z", "2027-03-01T15:45:00.000Z"]) {
      expect(santiagoTextToIso(isoToSantiagoText(iso))).toBe(iso);
    }
  });

  it("refuses what is not a date and time that exists", () => {
    for (const text of ["2026-12-19T21:00", "31-11-2026 10:00", "29-02-2026 10:00", "19-13-2026 10:00", "19-12-2026 24:00", "19-12-2026", "mañana"]) {
      expect(santiagoTextToIso(text)).toBeNull();
    }
  });
});
