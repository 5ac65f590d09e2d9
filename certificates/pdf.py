"""The certificate PDF (stub until filled): ``certificate_html``, ``certificate_pdf``,
``template_preview_pdf``."""
