"""QR codes drawn as vectors: the modules come from the ``qrcode`` library, the drawing is ours.

Vector modules stay sharp at any zoom or printer resolution (a bitmap would be resampled), and a
PDF with no image in it is smaller and renders the same bytes every time.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError
from reportlab.pdfgen.canvas import Canvas

# The quiet zone the QR standard asks for, in modules; scanners need it to find the code.
QUIET_ZONE = 4


class UnrenderableTicket(ValueError):
    """A ticket's QR payload cannot be drawn (longer than any QR code holds)."""


def qr_matrix(payload: str) -> list[list[bool]]:
    """The modules (True = dark) of the smallest QR code holding ``payload``, quiet zone included.

    Level M (15% of the code may be damaged) is what ADR 0006 sized the codes for: a signed code
    fits version 8, big modules on paper and on a cracked phone screen alike.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(payload)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as error:
        raise UnrenderableTicket(
            f"a QR payload of {len(payload)} characters does not fit a QR code"
        ) from error
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw ``matrix`` as a ``size`` square with its lower left corner at ``(x, y)``.

    The modules are written as PDF operators in module units under one scaling transform:
    integer coordinates, so nothing is rounded differently from one module to the next, and a
    few hundred short operators instead of as many float-formatted path calls (this drawing
    was most of a page's rendering time). Runs of dark modules in a row become one rectangle,
    all filled at once: no hairline seams between neighbours in anti-aliasing viewers.
    """
    count = len(matrix)
    rectangles = []
    for row_index, row in enumerate(matrix):
        bottom = count - 1 - row_index  # PDF's y axis points up
        column = 0
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            rectangles.append(f"{start} {bottom} {column - start} 1 re")
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / count, size / count)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.addLiteral("\n".join([*rectangles, "f"]))
    canvas.restoreState()
