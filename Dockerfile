# syntax=docker/dockerfile:1
# Production image: gunicorn (web) and Celery (worker) run from the same image.

# 1. Front-end assets from the npm registry (GOV.UK Frontend, MOJ Frontend, sass).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static ./static
RUN npm run build

# 2. The Python application.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# WeasyPrint needs Pango and HarfBuzz; curl serves the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 psp
WORKDIR /app
COPY . .
COPY --from=assets /app/static/build ./static/build
RUN pip install -c constraints.txt -e . \
 && DEBUG=0 PSP_STATIC_MANIFEST=1 SECRET_KEY=build-only-not-secret \
    python manage.py collectstatic --noinput \
 && mkdir -p /data/media /data/audit /app/var && chown -R psp:psp /data /app/var
USER psp
ENV MEDIA_ROOT=/data/media
EXPOSE 8000
CMD ["gunicorn", "psp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
