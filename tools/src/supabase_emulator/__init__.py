"""A local stand-in for Supabase Auth (GoTrue): password sign-in, ES256 access tokens, JWKS.

Development and tests only. ``python -m supabase_emulator --port 8300``; see ``app.py`` for the
endpoints and the ``/__emulator/`` test knobs.
"""
