"""The back office's home page: each role's own numbers and charts (filled in below)."""


def dashboard_callback(request, context):
    return context
