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

    Runs of dark modules in a row become one rectangle, and all of them one filled path: no
    hairline seams between neighbouring modules in viewers that anti-alias each shape.
    """
    module = size / len(matrix)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + start * module, top, (column - start) * module, module)
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
