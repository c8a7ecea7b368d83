// RFC 9457 problem+json answers of the Crowdify API, as every page reads them.

export interface Problem {
  status: number;
  title: string;
  detail: string | null;
  /** Machine code of the problem (e.g. `unauthorized`, `wrong_event_scope`). */
  code: string | null;
  /** Why a token was refused (`token_expired`, `device_revoked`...), on 401 answers. */
  reason: string | null;
  requestId: string | null;
  /** On 422: which field of the request was wrong, and why. */
  fieldErrors: FieldError[];
}

export interface FieldError {
  /** Where in the request, as the API names it: `body.buyer.email`, `query.page`. */
  field: string;
  message: string;
  /** pydantic's error type (`missing`, `string_too_short`...), when the API says. */
  type: string | null;
}

/** An answer from the API that is not a success. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
  }

  get status(): number {
    return this.problem.status;
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

function fieldErrorsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (!entry || typeof entry !== "object") return [];
    const item = entry as Record<string, unknown>;
    const field = text(item.field);
    return field ? [{ field, message: text(item.message) ?? "", type: text(item.type) }] : [];
  });
}

/** The problem in a failed response, whatever its body (problem+json, JSON, HTML from a proxy). */
export async function problemOf(response: Response): Promise<Problem> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.json();
    if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page): status and headers still say what happened.
  }
  return {
    status: response.status,
    title: text(body.title) ?? response.statusText ?? "Error",
    detail: text(body.detail),
    code: text(body.code),
    reason: text(body.reason),
    requestId: text(body.request_id) ?? response.headers.get("X-Request-ID"),
    fieldErrors: fieldErrorsOf(body.errors),
  };
}
