# One image for all four services; SERVICE picks which one runs.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.lock pyproject.toml README.md ./
RUN pip install -q uv==0.13.9 && uv pip install --system -q --require-hashes -r requirements.lock
COPY shared ./shared
COPY services ./services
COPY transferpunt ./transferpunt
RUN uv pip install --system -q --no-deps .
ARG SERVICE=intake
ENV SERVICE=${SERVICE} PORT=8000
USER nobody
CMD ["sh", "-c", "uvicorn services.${SERVICE}.main:create_app --factory --host 0.0.0.0 --port ${PORT}"]
