# One image for web, worker and beat. Debian bookworm matches the packages the project tests on.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
# collectstatic reads settings but no secret: this value exists only for the build step.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only DJANGO_ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput
# Nothing runs as root inside the container.
RUN useradd --system --no-create-home hotspots && mkdir -p /app/media \
    && chown hotspots /app/media
USER hotspots
EXPOSE 8000
# Production settings (above) and gunicorn's own settings file: no request header may set
# SCRIPT_NAME or PATH_INFO; FORWARDED_ALLOW_IPS names the TLS proxy in front.
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]
