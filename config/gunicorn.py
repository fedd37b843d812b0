"""gunicorn's configuration: `gunicorn config.wsgi:application -c config/gunicorn.py`.

The one file `make run` / `make web`, the Dockerfile and docker-compose.yml serve with
(tests/test_compose.py checks that they all name it and override none of it). Where to listen and
how many workers stay on each command line (PORT, WEB_CONCURRENCY).
"""

# The access log, on stdout, through the project's redaction: the path decoded, the query string's
# values left out, NIKs and phone numbers replaced (core/serving.py, core/logging.py). The error log
# (stderr) goes through the same filter.
accesslog = "-"
logger_class = "core.serving.Logger"

# gunicorn's sync worker, answering what gunicorn refuses by itself in the API's error shape (JSON)
# instead of an HTML page: 414 `uri_too_long` for a request line over limit_request_line, 431
# `headers_too_large` for too many or too large headers, 400 `bad_request` for a malformed request.
worker_class = "core.serving.SyncWorker"

# gunicorn's defaults, written out: the answers above depend on them. A request line (method, path and
# query, protocol) of 4094 bytes leaves room for any URL the API builds; a longer one is refused
# before Django reads it.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# gunicorn's control socket (gunicornc) is not used; left on, every server on a machine would share
# one socket path ($HOME/.gunicorn/gunicorn.ctl).
control_socket_disable = True
