"""What leaves the server: Secret values redacted from objects, values, manifests and CLI text
(`redact`), and every answer within the output budget (`budget`)."""
