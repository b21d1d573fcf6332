# Quantization Lab: one container serves a workshop (see README, "Docker").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app runs as a non-root user that owns none of the code.
RUN useradd --create-home --uid 10001 quantlab
COPY --chown=root:root app.py ./
COPY --chown=root:root .streamlit ./.streamlit
COPY --chown=root:root quantlib ./quantlib
COPY --chown=root:root lessons ./lessons
COPY --chown=root:root ui ./ui
COPY --chown=root:root views ./views
COPY --chown=root:root quiz ./quiz
# Quiz answers live in SQLite at $QUANTLAB_DB, the one place the app writes. Mount a
# volume there (docker run -v quantlab-data:/data) to keep them across containers.
RUN mkdir /data && chown quantlab /data
ENV QUANTLAB_DB=/data/quantlab.sqlite3
VOLUME /data
USER quantlab

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"
# The teacher's passcode for the Quiz: QUANTLAB_TEACHER_KEY, or one made now and printed
# to the log (`docker logs`) before the server starts.
CMD ["sh", "-c", "QUANTLAB_TEACHER_KEY=\"$(python -m quiz.access)\" && export QUANTLAB_TEACHER_KEY && exec streamlit run app.py --server.port=8501 --server.address=0.0.0.0"]
