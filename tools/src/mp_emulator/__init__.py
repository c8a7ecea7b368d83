"""A local stand-in for Mercado Pago (Checkout Pro preferences, payments, refunds, webhooks).

Development and tests only. ``python -m mp_emulator --port 8200``; see ``app.py`` for the API the
official SDK calls, ``controls.py`` for the ``/__emulator/`` test knobs and ``checkout.py`` for the
checkout page behind ``init_point``.
"""
