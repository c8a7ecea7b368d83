import { describe, expect, it } from "vitest";
import { remaining } from "./countdown";

const now = Date.parse("2026-12-02T12:00:00Z");

describe("time left to pay", () => {
  it("counts minutes and seconds", () => {
    expect(remaining("2026-12-02T12:14:05Z", now)).toEqual({ ms: 845_000, expired: false, label: "14:05" });
  });

  it("rounds a part second up, so it never shows 00:00 before the end", () => {
    expect(remaining(now + 400, now).label).toBe("00:01");
  });

  it("shows hours past an hour", () => {
    expect(remaining(now + 3_723_000, now).label).toBe("1:02:03");
  });

  it("is expired at and after the deadline", () => {
    expect(remaining(now, now)).toEqual({ ms: 0, expired: true, label: "00:00" });
    expect(remaining(now - 5_000, now).expired).toBe(true);
  });
});
