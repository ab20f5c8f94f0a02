"""gunicorn's settings wherever the application is served: `make demo` (the Procfile), the
Docker image and docker compose. `gunicorn config.wsgi -c config/gunicorn.conf.py`.

Security (docs/adr/0011): gunicorn would otherwise take SCRIPT_NAME and PATH_INFO from
request headers sent by its trusted addresses (127.0.0.1 by default), and a client on the
same host could then prefix a path ("SCRIPT_NAME: /login") to move it out of reach of the
application's path checks. No header may set them here. A proxy that mounts the site under a
prefix sets SCRIPT_NAME through the environment of this process instead (the `SCRIPT_NAME`
variable), and only the addresses in FORWARDED_ALLOW_IPS may say the request came over HTTPS.
"""

import os

bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_WORKERS", "3"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
accesslog = "-"

# No request header sets the WSGI environment's SCRIPT_NAME, PATH_INFO or REMOTE_USER.
forwarder_headers = ""
# Any other header with an underscore is dropped: X_Forwarded_Proto must not pass for
# X-Forwarded-Proto.
header_map = "drop"
# Who may say "this came over HTTPS" (X-Forwarded-Proto): the proxy in front, and only it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
