"""Search on a pool of Ray actors (``ttslib search --backend ray``): each actor holds its own backend and
verifier (the embedded model on a CPU node; a vLLM engine and a hub PRM on a GPU node), shards of problems go
to free actors, and the driver writes every shard, as in any run (``ttslib.generate.run.run_sharded``).

A shard's candidates depend on its problems alone (each problem's seed from the run seed and its id; the
backend reset before each shard), so which actor makes a shard, and in what order, does not change the
table. An actor that dies mid-shard is restarted by Ray (``max_restarts``) and its shard is sent again, to
it or to another; the driver keeps the first result of each shard, so no shard is lost or written twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ttslib.generate.base import BackendError, HasModelName, HasSettings, ShardPool

__all__ = ["SearchActors", "WorkerVerifier", "TRIES"]

TRIES = 3  # actors a shard may fail on in turn before the run stops


@dataclass(frozen=True)
class WorkerVerifier(HasSettings):
    """The verifier the actors hold, as the driver records it (name and settings); it scores nothing here."""

    name: str
    declared: dict

    def settings(self) -> dict:
        return self.declared


class _Worker:
    """One actor: a backend and a verifier made in its own process, and the expanders it built for them."""

    def __init__(self, make_backend, make_verifier):
        self.backend = make_backend()
        self.verifier, self.expanders = make_verifier(self.backend), {}

    def describe(self) -> dict:
        from ttslib.generate.base import backend_model_name, backend_settings

        return {"backend": self.backend.name, "model": backend_model_name(self.backend), "settings": backend_settings(self.backend),
                "verifier": self.verifier.name, "verifier_settings": backend_settings(self.verifier)}

    def rows(self, start: int, batch, job):
        from ttslib.search.expand import make_expander

        key = (job.delimiter, job.config)
        if key not in self.expanders:
            self.expanders[key] = make_expander(self.backend, job.delimiter, job.config)
        begun = time.perf_counter()
        rows = job.rows(batch, self.backend, self.expanders[key], self.verifier)
        return start, rows, time.perf_counter() - begun


class SearchActors(ShardPool, HasModelName, HasSettings):
    """``actors`` Ray actors, each with ``make_backend()`` and ``make_verifier(backend)`` (picklable callables, run
    in the actor), on the cluster at ``address`` (None: a local one with ``num_cpus``); each actor reserves
    ``actor_cpus`` and ``actor_gpus``. Pass it to ``ttslib.search.run_search`` as the backend, with :attr:`verifier` as the verifier."""

    name = "ray"

    def __init__(self, make_backend, make_verifier, *, actors: int = 2, address: str | None = None, num_cpus: int | None = None,
                 actor_cpus: float = 1.0, actor_gpus: float = 0.0, max_restarts: int = 2):
        import ray

        from ttslib.generate.ray_data import connect

        if not (isinstance(actors, int) and actors >= 1):
            raise ValueError(f"actors must be a whole number >= 1; got {actors!r}")
        connect(address, num_cpus=num_cpus)
        worker = ray.remote(num_cpus=actor_cpus, num_gpus=actor_gpus, max_restarts=max_restarts)(_Worker)
        self.actors = [worker.remote(make_backend, make_verifier) for _ in range(actors)]
        try:
            described = ray.get([a.describe.remote() for a in self.actors])
        except Exception as err:  # noqa: BLE001 - an actor that cannot build its backend: its error, one line
            raise BackendError(f"a Ray actor could not make its backend or verifier: {str(err).strip().splitlines()[-1][:300]}") from None
        if any(d != described[0] for d in described[1:]):
            raise BackendError(f"the actors' backends or verifiers differ: {described[0]} and {next(d for d in described if d != described[0])}")
        self.described = described[0]
        self.model_name = described[0]["model"]
        self.verifier = WorkerVerifier(described[0]["verifier"], described[0]["verifier_settings"])

    def settings(self) -> dict:
        """What changes a candidate: the actors' backend and its settings (how many actors, and where, do not)."""
        return {"actor_backend": self.described["backend"], **self.described["settings"]}

    def map_shards(self, shards, job):
        """Each shard to a free actor; yields (start, rows, seconds) as shards finish. A shard whose actor died is
        sent again, first in line, to the next free actor; the dead actor comes back to the pool once Ray has
        restarted it (``max_restarts``) and it answers, and leaves the pool once it cannot be restarted. A shard
        that fails on :data:`TRIES` actors in turn, or a pool with no actor left, is a BackendError."""
        import ray
        from ray.exceptions import RayActorError

        pending, free, attempts = list(shards), list(self.actors), {}
        running: dict = {}  # ref -> (start, batch, actor) for a shard; (None, None, actor) for a restarted actor's answer
        while pending or any(start is not None for start, _, _ in running.values()):
            while pending and free:
                start, batch = pending.pop(0)
                actor = free.pop(0)
                attempts[start] = attempts.get(start, 0) + 1
                running[actor.rows.remote(start, batch, job)] = (start, batch, actor)
            if not running:
                raise BackendError(f"every Ray actor of the pool is gone ({len(self.actors)} started); "
                                   f"{len(pending)} shard(s) not made")
            ready, _ = ray.wait(list(running), num_returns=1)
            start, batch, actor = running.pop(ready[0])
            try:
                got = ray.get(ready[0])
            except RayActorError as err:
                if start is None:  # it could not be restarted: out of the pool
                    self.actors = [a for a in self.actors if a is not actor]
                    continue
                if attempts[start] >= TRIES:
                    raise BackendError(f"shard at problem {start} failed on {attempts[start]} actors in turn: "
                                       f"{str(err).splitlines()[0][:200]}") from None
                pending.insert(0, (start, batch))
                running[actor.describe.remote()] = (None, None, actor)  # back in the pool when it answers again
                continue
            free.append(actor)
            if start is not None:
                yield got
