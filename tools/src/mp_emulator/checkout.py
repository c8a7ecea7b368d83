"""The checkout page behind ``init_point``: a buyer (or a browser test) approves or rejects.

  GET  /checkout/v1/redirect?pref_id=…   the preference's items and total, with outcome buttons
  POST /checkout/v1/pay                  form pref_id + outcome: pays, notifies, 303 to back_urls

The redirect carries what Mercado Pago appends to back_urls (docs/integrations.md 1.3), including the
legacy collection_id / collection_status and the literal "null" for absent values.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mp_emulator.clock import now
from mp_emulator.emulator import Emulator
from mp_emulator.errors import MPError
from mp_emulator.notifier import with_query
from mp_emulator.preferences import INTEGER_CURRENCIES, expired
from mp_emulator.resources import Payment, Preference

BACK_URL = {"approved": "success", "rejected": "failure", "pending": "pending"}
STYLE = """
body{font-family:system-ui,sans-serif;background:#ededed;margin:0;color:#333}
header{background:#ffe600;padding:12px 24px;font-weight:600}
main{max-width:560px;margin:24px auto;background:#fff;border-radius:6px;padding:24px}
table{width:100%;border-collapse:collapse}td,th{padding:6px 4px;text-align:left}
td.n,th.n{text-align:right}tfoot td{font-weight:700;border-top:1px solid #ddd}
form{display:inline}
button{font-size:16px;padding:10px 18px;margin:16px 8px 0 0;border:0;border-radius:6px;cursor:pointer}
.approve{background:#009ee3;color:#fff}.reject{background:#f23d4f;color:#fff}.pending{background:#ccc}
.note{color:#777;font-size:13px}
"""


def money(amount: float, currency: str) -> str:
    """es-CL style: ``$15.000`` for CLP; two decimals with a decimal comma otherwise."""
    if currency in INTEGER_CURRENCIES:
        return "$" + f"{int(amount):,}".replace(",", ".")
    return "$" + f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    document = f"""<!doctype html>
<html lang="es-CL"><head><meta charset="utf-8"><title>{escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body><header>Mercado Pago · emulador de desarrollo</header><main>{body}</main></body></html>"""
    return HTMLResponse(document, status_code=status_code)


def checkout_page(preference: Preference) -> HTMLResponse:
    body = preference.body
    currency = str(body["items"][0].get("currency_id", "CLP"))
    rows = "".join(
        f"<tr><td>{escape(str(item['title']))}</td><td class=n>{item['quantity']}</td>"
        f"<td class=n>{money(item['unit_price'], currency)}</td>"
        f"<td class=n>{money(item['quantity'] * item['unit_price'], currency)}</td></tr>"
        for item in body["items"]
    )
    if expired(body, now()):
        actions = "<p><strong>Este link de pago expiró.</strong></p>"
    else:
        hidden = f'<input type="hidden" name="pref_id" value="{escape(preference.id)}">'
        buttons = [("approved", "approve", "Aprobar pago"), ("rejected", "reject", "Rechazar pago")]
        if not body.get("binary_mode"):
            buttons.append(("pending", "pending", "Dejar pendiente"))
        actions = "".join(
            f'<form method="post" action="/checkout/v1/pay">{hidden}'
            f'<input type="hidden" name="outcome" value="{outcome}">'
            f'<button type="submit" class="{css}" name="{outcome}">{label}</button></form>'
            for outcome, css, label in buttons
        )
    reference = escape(str(body.get("external_reference") or "—"))
    total = money(preference.total_amount, currency)
    html = f"""<h1>Resumen de tu compra</h1>
<table><thead><tr><th>Producto</th><th class=n>Cantidad</th><th class=n>Precio</th>
<th class=n>Subtotal</th></tr></thead>
<tbody>{rows}</tbody>
<tfoot><tr><td colspan=3>Total</td><td class=n id="total">{total}</td></tr></tfoot></table>
<p class="note">Referencia: {reference} · Moneda: {escape(currency)}</p>
{actions}
<p class="note">Elige el resultado: se crea el pago, se envía la notificación y vuelves al sitio.</p>"""
    return page("Pagar con Mercado Pago", html)


def back_url_params(payment: Payment) -> dict[str, str]:
    def text(value: Any) -> str:
        return "null" if value in (None, "") else str(value)

    return {
        "collection_id": str(payment.id),
        "collection_status": payment.status,
        "payment_id": str(payment.id),
        "status": payment.status,
        "external_reference": text(payment.external_reference),
        "payment_type": "credit_card" if payment.status != "pending" else "ticket",
        "merchant_order_id": str(payment.merchant_order_id),
        "preference_id": payment.preference.id,
        "site_id": "MLC",
        "processing_mode": "aggregator",
        "merchant_account_id": "null",
    }


def checkout_router(emu: Emulator) -> APIRouter:
    router = APIRouter(prefix="/checkout/v1", include_in_schema=False)

    @router.get("/redirect")
    async def redirect(pref_id: str = "") -> Response:
        preference = emu.store.preferences.get(pref_id)
        if preference is None:
            return page("Link inválido", "<h1>No encontramos este link de pago.</h1>", 404)
        return checkout_page(preference)

    @router.post("/pay")
    async def pay(request: Request) -> Response:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        pref_id = (form.get("pref_id") or [""])[0]
        outcome = (form.get("outcome") or [""])[0]
        try:
            payment, _ = emu.pay(pref_id, outcome, None, emu.notifier.knobs)
        except MPError as exc:
            return page(
                "No se pudo pagar", f"<h1>No se pudo pagar</h1><p>{escape(exc.message)}</p>", exc.status
            )
        target = payment.preference.back_url(BACK_URL.get(payment.status, "failure"))
        if target:
            return RedirectResponse(with_query(target, back_url_params(payment)), status_code=303)
        result = {"approved": "¡Listo! Tu pago fue aprobado.", "rejected": "Tu pago fue rechazado."}
        message = result.get(payment.status, "Tu pago quedó pendiente.")
        return page("Resultado del pago", f"<h1>{message}</h1><p>Pago n.º {payment.id}</p>")

    return router
