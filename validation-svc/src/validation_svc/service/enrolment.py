"""Enrolment of a door device: the link (and its QR code) that hands a device token to the scanner
web app once.

The token travels in the URL's fragment (``#token=...``): browsers never send a fragment to a
server, so it stays out of every access log and proxy between the phone and the scanner page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import qrcode
import qrcode.image.svg


def enrolment_link(scanner_url: str, token: str) -> str:
    return f"{scanner_url}#{urlencode({'token': token})}"


def enrolment_qr_svg(link: str) -> str:
    """An SVG QR code of the link, sized by its viewBox, for the organiser's screen."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(link)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return str(image.to_string(encoding="unicode"))
