// Reading the console's forms into API bodies: inputs are named as the API's fields, so a 422's
// field errors land on the input that caused them. Dates and times are text in es-CL form on
// Santiago's clock ("19-12-2026 21:00"), whatever the browser's language and zone: a
// datetime-local field would show the browser's own format.
import { h } from "../shared/dom";
import { isoToSantiagoText, santiagoTextToIso } from "../shared/i18n";
import { ApiError } from "../shared/problem";

const DATE_HINT = "Hora de Santiago, como dd-mm-aaaa hh:mm (p. ej. 19-12-2026 21:00).";
const DATE_PROBLEM = "Escribe la fecha y hora como dd-mm-aaaa hh:mm, por ejemplo 19-12-2026 21:00";

export type FieldKind = "text" | "textarea" | "integer" | "datetime" | "checkbox";

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  hint?: string;
  min?: number;
  max?: number;
}

type Values = Record<string, unknown>;

export function fieldInputs(prefix: string, specs: FieldSpec[], values: Values = {}): HTMLElement[] {
  return specs.map((spec) => {
    const id = `${prefix}-${spec.name}`;
    const value = values[spec.name];
    if (spec.kind === "checkbox") {
      return h("label", { class: "check", for: id }, h("input", { id, name: spec.name, type: "checkbox", checked: value === true }), spec.label);
    }
    const hint = spec.kind === "datetime" ? [spec.hint, DATE_HINT].filter(Boolean).join(" ") : spec.hint;
    const common = { id, name: spec.name, required: spec.required ?? false, "aria-describedby": hint ? `${id}-hint` : null };
    const input =
      spec.kind === "textarea"
        ? h("textarea", { ...common, rows: 3 }, typeof value === "string" ? value : "")
        : h("input", {
            ...common,
            type: spec.kind === "integer" ? "number" : "text",
            inputmode: spec.kind === "integer" ? "numeric" : null,
            placeholder: spec.kind === "datetime" ? "dd-mm-aaaa hh:mm" : null,
            autocomplete: spec.kind === "datetime" ? "off" : null,
            "data-kind": spec.kind,
            min: spec.min ?? null,
            max: spec.max ?? null,
            step: spec.kind === "integer" ? 1 : null,
            value:
              value === null || value === undefined
                ? ""
                : spec.kind === "datetime"
                  ? isoToSantiagoText(String(value))
                  : String(value),
          });
    return h("div", { class: "field" }, h("label", { for: id }, spec.label), input, hint ? h("p", { class: "note", id: `${id}-hint` }, hint) : null);
  });
}

/** The form's values as the API takes them: empty optional fields are null (or left out on create).
 * A date that cannot be read is refused here, on its field, as the API would (a 422). */
export function readFields(form: HTMLFormElement, specs: FieldSpec[], { omitEmpty }: { omitEmpty: boolean }): Values {
  const body: Values = {};
  const unreadable: string[] = [];
  for (const spec of specs) {
    const input = form.elements.namedItem(spec.name) as HTMLInputElement | null;
    if (!input) continue;
    if (spec.kind === "checkbox") {
      body[spec.name] = input.checked;
      continue;
    }
    const raw = input.value.trim();
    if (!raw) {
      // A required field left empty is left out: the API answers "missing" on that field.
      if (!omitEmpty && !spec.required) body[spec.name] = null;
      continue;
    }
    if (spec.kind === "integer") body[spec.name] = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    else if (spec.kind === "datetime") {
      const iso = santiagoTextToIso(raw);
      if (iso) body[spec.name] = iso;
      else unreadable.push(spec.name);
    } else body[spec.name] = raw;
  }
  if (unreadable.length) {
    throw new ApiError({
      status: 422,
      title: "Revisa los datos",
      detail: null,
      code: "invalid_date",
      reason: null,
      requestId: null,
      fieldErrors: unreadable.map((name) => ({ field: name, message: DATE_PROBLEM, type: null })),
    });
  }
  return body;
}
