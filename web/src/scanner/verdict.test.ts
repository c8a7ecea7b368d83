// Run with TZ=America/Santiago (package.json's test script): times read as at a door in Chile.
import { describe, expect, it } from "vitest";
import { RepeatFilter } from "./camera";
import { describe as describeVerdict, type Verdict } from "./verdict";

const base: Verdict = {
  result: "admitted",
  offline: false,
  ticketId: "t",
  holderName: "Ana Pérez",
  ticketType: "General",
  childName: null,
  firstEntryAt: null,
  firstEntryGate: null,
  invalidReason: null,
};

describe("verdict screens (es-CL)", () => {
  it("reads every verdict of the API distinctly", () => {
    const results = ["admitted", "already_used", "invalid", "revoked", "wrong_event", "exited", "not_inside"] as const;
    const titles = results.map((result) => describeVerdict({ ...base, result }).title);
    expect(new Set(titles).size).toBe(results.length);
    expect(describeVerdict(base)).toMatchObject({ title: "ADMITIDO", tone: "ok" });
  });

  it("says when and where an already used ticket first entered, in the door's time zone", () => {
    const text = describeVerdict({
      ...base,
      result: "already_used",
      firstEntryAt: "2026-12-02T23:41:00Z",
      firstEntryGate: "Puerta Norte",
    });
    expect(text).toMatchObject({ title: "YA USADO — entró 20:41 por Puerta Norte", tone: "stop" });
  });

  it("explains a forged code", () => {
    expect(describeVerdict({ ...base, result: "invalid", invalidReason: "bad_signature" }).detail).toMatch(/Firma falsa/);
  });
});

describe("RepeatFilter", () => {
  it("ignores the same code within the window, and takes it again after", () => {
    const filter = new RepeatFilter(4000);
    expect(filter.accept("A", 0)).toBe(true);
    expect(filter.accept("A", 3999)).toBe(false);
    expect(filter.accept("B", 3999)).toBe(true);
    expect(filter.accept("A", 4000)).toBe(true);
  });
});
