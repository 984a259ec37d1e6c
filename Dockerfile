# graphsvc: the GraphQL server with the demo case (seed/).
#
#   docker build -t graphsvc .
#   docker run --rm -p 127.0.0.1:8000:8000 -v graphsvc-data:/app/data graphsvc   # embedded store
#
# On Neo4j, docker-compose.yml runs it with GRAPHSVC_BACKEND=neo4j (see deploy/entrypoint.sh).
ARG PYTHON_IMAGE=python:3.11-slim

# -- build: install the package (not editable) and its runtime dependencies into a venv -------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# What the wheel is made of: the package, and schema/ and cypher/ (force-included as
# graphsvc/_defaults/); README.md is the package's long description.
COPY pyproject.toml README.md ./
COPY graphsvc ./graphsvc
COPY schema ./schema
COPY cypher ./cypher
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/graphsvc --version

# -- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# Tesseract with its French and English packs: OCR of scanned PDF pages and images
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 graphsvc \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin graphsvc
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY seed ./seed
COPY deploy/entrypoint.sh ./deploy/entrypoint.sh
# data/ holds the embedded store and the audit log: mount a volume on /app/data. A new named
# volume takes the ownership of this directory, so the non-root user can write to it.
RUN chmod 0755 deploy/entrypoint.sh \
    && mkdir -p data \
    && chown 10001:10001 data
USER 10001:10001
EXPOSE 8000
# /healthz answers 200 when the store and the audit log answer, 503 otherwise (no token needed);
# urlopen raises on 503, so the check fails. Long start period: on neo4j the entry point waits
# for the database and loads the seed before serving.
HEALTHCHECK --interval=15s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=3)"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
