# Production image: static files built from npm in a Node stage, the app on python:3.11-slim.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-static.mjs scripts/
COPY assets assets
RUN mkdir -p portal/static && npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    PORT=8000
WORKDIR /app
RUN useradd --create-home --uid 1000 portal
COPY pyproject.toml README.md ./
COPY portal portal
COPY strategies strategies
COPY evaluations evaluations
COPY search search
RUN pip install --no-cache-dir .
COPY . .
COPY --from=assets /app/portal/static/vendor portal/static/vendor
COPY --from=assets /app/portal/static/portal/js portal/static/portal/js
# collectstatic needs settings that import cleanly; the build-time key is never used at run time.
RUN SECRET_KEY=build-time-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R portal:portal /app/media
USER portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
