"""A local SendGrid: the v3 Mail Send endpoint on the real wire protocol (Bearer API key, 202
with ``X-Message-Id``, SendGrid's error bodies), driven by the official ``sendgrid`` SDK pointed
at it, with ``/__emulator/`` endpoints to read what was sent and to simulate an outage."""
