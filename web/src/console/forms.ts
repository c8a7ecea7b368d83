// Reading the console's forms into API bodies: inputs are named as the API's fields, so a 422's
// field errors land on the input that caused them.
import { isoToSantiagoInput, santiagoInputToIso } from "../shared/i18n";
import { h } from "../shared/dom";

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
    const common = { id, name: spec.name, required: spec.required ?? false, "aria-describedby": spec.hint ? `${id}-hint` : null };
    const input =
      spec.kind === "textarea"
        ? h("textarea", { ...common, rows: 3 }, typeof value === "string" ? value : "")
        : h("input", {
            ...common,
            type: spec.kind === "integer" ? "number" : spec.kind === "datetime" ? "datetime-local" : "text",
            inputmode: spec.kind === "integer" ? "numeric" : null,
            min: spec.min ?? null,
            max: spec.max ?? null,
            step: spec.kind === "integer" ? 1 : null,
            value:
              value === null || value === undefined
                ? ""
                : spec.kind === "datetime"
                  ? isoToSantiagoInput(String(value))
                  : String(value),
          });
    return h("div", { class: "field" }, h("label", { for: id }, spec.label), input, spec.hint ? h("p", { class: "note", id: `${id}-hint` }, spec.hint) : null);
  });
}

/** The form's values as the API takes them: empty optional fields are null (or left out on create). */
export function readFields(form: HTMLFormElement, specs: FieldSpec[], { omitEmpty }: { omitEmpty: boolean }): Values {
  const body: Values = {};
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
    else if (spec.kind === "datetime") body[spec.name] = santiagoInputToIso(raw);
    else body[spec.name] = raw;
  }
  return body;
}
