"""A real OpenAI-compatible server on loopback for the tests: llama-cpp-python's ``llama_cpp.server``
with the embedded model (SmolLM2-135M), started by the test and killed by it; and a stand-in server answering what a test gives it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llama_server(port: int, *, n_ctx: int = 512, threads: int | None = None, n_batch: int | None = None):
    """``python -m llama_cpp.server`` on 127.0.0.1:port serving SmolLM2-135M as "smollm2" (logprobs on).

    ``n_batch=1``: prompts decoded a token at a time. The server reuses the KV of the longest prefix a prompt shares
    with the request before, so otherwise the order requests arrive in decides how a prompt is split into batches,
    which changes the logits' last bits (llama.cpp's batched and single-token kernels round differently) and now
    and then a sampled token; a token at a time, every split decodes alike."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e .[llama])")
    pytest.importorskip("uvicorn", reason="llama_cpp.server needs llama-cpp-python[server]")
    from ttslib.generate.llama import smollm2_path

    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()), "--model_alias", "smollm2",
           "--host", "127.0.0.1", "--port", str(port), "--logits_all", "True", "--n_ctx", str(n_ctx), "--verbose", "False"]
    cmd += ["--n_threads", str(threads)] if threads else []
    cmd += ["--n_batch", str(n_batch)] if n_batch else []
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("llama_cpp.server did not start within 60 s")


def serve_json(answer):
    """A stand-in HTTP server on 127.0.0.1 (a free port, a daemon thread) answering every POST with JSON:
    ``answer(path, body) -> (status code, reply dict)``, ``body`` the request's JSON (``{}`` if empty). The
    request bodies are kept in ``server.requests``; ``server.shutdown()`` stops it."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            self.server.requests.append(body)
            code, reply = answer(self.path, body)
            data = json.dumps(reply).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_completions(choices, *, refuse: str | None = None):
    """A stand-in OpenAI-compatible server (:func:`serve_json`): every POST to ``/v1/completions`` is answered
    with ``choices`` (a list of dicts: text, finish_reason, logprobs with tokens, token_logprobs and, where the
    test gives them, top_logprobs), or refused with HTTP 400 and ``refuse`` as the message."""

    def answer(path, body):
        if not path.endswith("/completions"):
            return 404, {"detail": "Not Found"}
        if refuse is not None:
            return 400, {"error": {"message": refuse, "type": "BadRequestError", "code": 400}}
        out = [dict(choices[i % len(choices)], index=i) for i in range(int(body.get("n", 1)))]
        return 200, {"id": "cmpl-test", "object": "text_completion", "created": 0, "model": body.get("model"),
                     "choices": out, "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}

    return serve_json(answer)
