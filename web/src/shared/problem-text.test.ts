import { describe, expect, it } from "vitest";
import { problemOf } from "./problem";
import { describeProblem, fieldMessage, fieldPath } from "./problem-text";

function response(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/problem+json", "X-Request-ID": "req-1" } });
}

describe("problems in Spanish", () => {
  it("reads a 422's field errors and puts them on the form's names", async () => {
    const problem = await problemOf(
      response(422, {
        status: 422,
        title: "Unprocessable Content",
        code: "validation_error",
        errors: [
          { field: "body.buyer.email", message: "value is not a valid email address", type: "value_error" },
          { field: "body.items.0.attendees.1.child.rut", message: "Value error, El dígito verificador del RUT no es válido", type: "value_error" },
          { field: "body.name", message: "Field required", type: "missing" },
        ],
      }),
    );
    expect(problem.fieldErrors.map(fieldPath)).toEqual(["buyer.email", "items.0.attendees.1.child.rut", "name"]);
    expect(problem.fieldErrors.map(fieldMessage)).toEqual(["El correo no es válido", "El dígito verificador del RUT no es válido", "Este campo es obligatorio"]);
    expect(describeProblem(problem)).toMatchObject({ title: "Revisa los datos", action: "fix_fields" });
    expect(problem.requestId).toBe("req-1");
  });

  it.each([
    [401, "unauthorized", "Tu sesión terminó", "sign_in"],
    [403, "forbidden", "No tienes permiso", "go_back"],
    [404, "event_not_found", "No encontrado", "go_back"],
    [409, "invalid_status_transition", "No se pudo completar", "retry"],
    [503, "service_unavailable", "Servicio no disponible", "retry"],
  ])("explains a %i", async (status, code, title, action) => {
    const text = describeProblem(await problemOf(response(status, { status, code, title: "x", detail: "English detail" })));
    expect(text.title).toBe(title);
    expect(text.action).toBe(action);
    expect(text.detail).not.toMatch(/English/);
  });

  it("says precisely why a hold was refused", async () => {
    const text = describeProblem(await problemOf(response(409, { status: 409, code: "hold_limit_exceeded", title: "Conflict" })));
    expect(text.detail).toMatch(/máximo de entradas reservadas/);
  });

  it("says why a refunded order's tickets are not sent again", async () => {
    const text = describeProblem(await problemOf(response(409, { status: 409, code: "tickets_revoked", title: "Conflict" })));
    expect(text.detail).toMatch(/anuladas/);
  });

  it.each([
    [409, "tickets_revoked"],
    [409, "event_cancelled"],
    [409, "refund_refused"],
    [422, "nothing_to_refund"],
  ])("offers no reload or fix for a %i %s: nothing would change", async (status, code) => {
    const text = describeProblem(await problemOf(response(status, { status, code, title: "x" })));
    expect(text).toMatchObject({ title: "No se puede hacer", action: "none" });
    expect(text.detail.length).toBeGreaterThan(0);
  });

  it("copes with an answer that is not JSON (a proxy's page)", async () => {
    const problem = await problemOf(new Response("<html>bad gateway</html>", { status: 502 }));
    expect(problem.fieldErrors).toEqual([]);
    expect(describeProblem(problem).title).toBe("Servicio no disponible");
  });
});
