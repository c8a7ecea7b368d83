import { describe, expect, it } from "vitest";
import { niceCeiling } from "./chart";

describe("chart axes", () => {
  it.each([
    [0, 1],
    [1, 1],
    [7, 10],
    [12, 20],
    [180, 200],
    [230, 250],
    [420, 500],
    [12000, 20000],
    [1_000_001, 2_000_000],
  ])("the axis over %d tops at %d", (max, top) => {
    expect(niceCeiling(max)).toBe(top);
  });
});
