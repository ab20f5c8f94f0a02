import os

from django.core.wsgi import get_wsgi_application

# Whatever serves the application without naming its settings gets production's (make demo
# names config.settings.local).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
