"""A real local Redis Cluster for tests: 3 primaries with 1 replica each, in a tmp dir.

Every node is a real `redis-server --cluster-enabled yes` (AOF on) on a free port whose bus port
(port + 10000) is free too; `redis-cli --cluster create` joins them. A missing redis-server is a
failure, never a skip. The node timeout is short so that a killed primary's replica takes over
within a few seconds.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.servers import redis_server_binary, wait_until

NODE_TIMEOUT_MS = 1500


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def cluster_port(taken: set[int]) -> int:
    """A free port below 55535 whose cluster bus port (+10000) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < 55535 and port not in taken and _port_free(port + 10000):
            return port


def redis_cli() -> str:
    found = shutil.which("redis-cli") or shutil.which("valkey-cli")
    if not found:
        raise AssertionError("No redis-cli on PATH (apt-get install redis-tools)")
    return found


def cli(port: int, *args: str, timeout: float = 30.0) -> str:
    """One redis-cli command against a node; its output as text."""
    done = subprocess.run(
        [redis_cli(), "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return done.stdout


class ClusterNodeProcess:
    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.dir = folder / str(port)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ClusterNodeProcess:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                str(NODE_TIMEOUT_MS),
                # One shard down must not stop the others (docs/scaling.md, "Redis Cluster").
                "--cluster-require-full-coverage",
                "no",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: "PONG" in cli(self.port, "PING", timeout=2), 10, f"node {self.port}")
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: what the node did not write or replicate is gone."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None


class RedisClusterProcess:
    """Six nodes (3 primaries, 3 replicas) forming one cluster."""

    def __init__(self, primaries: int = 3, replicas: int = 1) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pb-cluster-"))
        taken: set[int] = set()
        self.nodes: list[ClusterNodeProcess] = []
        for _ in range(primaries * (1 + replicas)):
            port = cluster_port(taken)
            taken |= {port, port + 10000}
            self.nodes.append(ClusterNodeProcess(port, self.dir))
        self.replicas = replicas

    def url(self, node: int = 0) -> str:
        return f"redis://127.0.0.1:{self.nodes[node].port}"

    def start(self) -> RedisClusterProcess:
        redis_server_binary()  # a missing server fails here, loudly
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{n.port}" for n in self.nodes]
        cli(
            self.nodes[0].port,
            "--cluster",
            "create",
            *addresses,
            "--cluster-replicas",
            str(self.replicas),
            "--cluster-yes",
            timeout=60,
        )
        wait_until(self.healthy, 30, "cluster_state:ok on every node with all replicas linked")
        return self

    def live(self) -> list[ClusterNodeProcess]:
        return [n for n in self.nodes if n.alive]

    def healthy(self) -> bool:
        """Every live node sees the cluster ok, and every primary has its replicas."""
        for node in self.live():
            if "cluster_state:ok" not in cli(node.port, "CLUSTER", "INFO", timeout=2):
                return False
        return all(
            f"connected_slaves:{self.replicas}" in cli(p, "INFO", "replication", timeout=2)
            for p in self.primary_ports()
        )

    def primary_ports(self) -> list[int]:
        """The live primaries (that own slots), as every live node's map says."""
        node = self.live()[0]
        out = []
        for line in cli(node.port, "CLUSTER", "NODES", timeout=2).splitlines():
            fields = line.split()
            if "master" in fields[2] and "fail" not in fields[2] and len(fields) > 8:
                out.append(int(fields[1].split("@")[0].rsplit(":", 1)[1]))
        return sorted(out)

    def node_id(self, port: int) -> str:
        return cli(port, "CLUSTER", "MYID", timeout=2).strip()

    def owner(self, key: str) -> int:
        """The port of the primary owning `key`'s slot."""
        slot = int(cli(self.live()[0].port, "CLUSTER", "KEYSLOT", key, timeout=2))
        return self.slot_owner(slot)

    def slot_owner(self, slot: int) -> int:
        for line in cli(self.live()[0].port, "CLUSTER", "NODES", timeout=2).splitlines():
            fields = line.split()
            if "master" not in fields[2] or "fail" in fields[2]:
                continue
            for spec in fields[8:]:
                if spec.startswith("["):
                    continue
                low, _, high = spec.partition("-")
                if int(low) <= slot <= int(high or low):
                    return int(fields[1].split("@")[0].rsplit(":", 1)[1])
        raise AssertionError(f"slot {slot} has no owner")

    def node(self, port: int) -> ClusterNodeProcess:
        return next(n for n in self.nodes if n.port == port)

    def cleanup(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def migrate_slot(cluster: RedisClusterProcess, slot: int, source: int, target: int) -> int:
    """Move one slot by hand, the way `redis-cli --cluster reshard` does: IMPORTING/MIGRATING,
    MIGRATE of its keys in batches, then SETSLOT NODE everywhere. Returns the keys moved."""
    source_id, target_id = cluster.node_id(source), cluster.node_id(target)
    cli(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", source_id)
    cli(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", target_id)
    moved = 0
    while True:
        keys = cli(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "10").split()
        if not keys:
            break
        cli(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000", "KEYS", *keys)
        moved += len(keys)
    for port in [
        target,
        source,
        *(p for p in cluster.primary_ports() if p not in (source, target)),
    ]:
        cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", target_id)
    return moved
