# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MANGAKI_VAR_DIR=/var/lib/mangaki \
    NUMBA_CACHE_DIR=/tmp/numba-cache

WORKDIR /app
# postgresql-client: pg_dump and pg_restore for the nightly backup (docs/operations.md).
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --uid 1000 mangaki \
    && mkdir -p /var/lib/mangaki/backups && chown -R mangaki /var/lib/mangaki

COPY requirements.txt .
# The CPU build of torch: the CUDA one is gigabytes we never use.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.txt

COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
USER mangaki
EXPOSE 8000
CMD ["gunicorn", "mangaki.wsgi:application", "-c", "gunicorn.conf.py"]
