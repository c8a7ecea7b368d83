import { describe, expect, it } from "vitest";
import { RUT_MESSAGES, displayRut, rutProblem } from "./rut";

describe("RUT check", () => {
  it("accepts a RUT with dots and dash, without them, and with a K check digit", () => {
    expect(rutProblem("12.345.678-5")).toBeNull();
    expect(rutProblem("123456785")).toBeNull();
    expect(rutProblem("10.000.013-k")).toBeNull();
  });

  it("says when the check digit is wrong", () => {
    expect(rutProblem("12.345.678-9")).toBe("check_digit");
    expect(RUT_MESSAGES.check_digit).toMatch(/dígito verificador/);
  });

  it("says when it is not a RUT at all", () => {
    expect(rutProblem("")).toBe("format");
    expect(rutProblem("hola")).toBe("format");
  });

  it("shows a RUT the Chilean way", () => {
    expect(displayRut("123456785")).toBe("12.345.678-5");
  });
});
