"""Text PDFs for tests and benchmarks, written with reportlab (BSD; a dev dependency only).

Vietnamese needs an embedded Unicode font: DejaVu Sans, from the system or from matplotlib's data.
"""

from __future__ import annotations

import io
from pathlib import Path

SYSTEM_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font_path() -> Path:
    if SYSTEM_FONT.exists():
        return SYSTEM_FONT
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _canvas(out: io.BytesIO, encrypt: bool):  # type: ignore[no-untyped-def]
    from reportlab.lib import pdfencrypt
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(font_path())))
    enc = pdfencrypt.StandardEncryption("secret", ownerPassword="owner", strength=128) if encrypt else None
    return canvas.Canvas(out, pagesize=(595, 842), encrypt=enc, pageCompression=1)


def make_pdf(pages: list[str], *, encrypt: bool = False, text_layer: bool = True, width: int = 95) -> bytes:
    """One page per entry; long lines are wrapped at ``width`` characters; no text layer = a grey box."""
    out = io.BytesIO()
    c = _canvas(out, encrypt)
    for body in pages:
        if text_layer:
            c.setFont("DejaVu", 9)
            y = 800
            for para in body.split("\n"):
                line = para
                while True:
                    c.drawString(40, y, line[:width])
                    y -= 13
                    line = line[width:]
                    if not line or y < 40:
                        break
                if y < 40:
                    break
        else:
            c.setFillGray(0.5)
            c.rect(50, 500, 250, 250, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()
