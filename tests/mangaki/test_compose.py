"""docker-compose.yml describes the topology that test_topology.py runs for real."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_web_worker_beat_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"proxy", "web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    # Clients reach nginx, which alone talks to gunicorn and closes idle connections first.
    assert services["proxy"]["ports"] == ["8000:80"] and "ports" not in services["web"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000" in nginx and "keepalive_timeout 30s" in nginx
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    assert 'env_int("WEB_KEEPALIVE", 65, minimum=1)' in gunicorn
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["command"][0] == "gunicorn"
    assert services["web"]["command"][1] == "mangaki.wsgi:application"
    worker = services["worker"]["command"]
    assert worker[:4] == ["celery", "-A", "mangaki", "worker"]
    assert set(worker[worker.index("-Q") + 1].split(",")) == {"default", "tagging", "training"}
    assert services["beat"]["command"][:4] == ["celery", "-A", "mangaki", "beat"]
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        migrate = services[name]["depends_on"]["migrate"]
        assert migrate["condition"] == "service_completed_successfully"


def test_dockerfile_installs_the_pinned_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "FROM python:3.11" in dockerfile


def test_compose_scales_web_and_worker_without_a_shared_filesystem():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker"):
        service = services[name]
        # Scaled services cannot have a fixed name or a published port.
        assert "container_name" not in service and "ports" not in service
        assert service["environment"]["FILE_STORAGE"] == "${FILE_STORAGE:-database}"
        # Only backups are a volume; posters and models live in the database.
        assert service["volumes"] == ["mangaki-backups:/var/lib/mangaki/backups"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server web:8000 resolve;" in nginx and "resolver 127.0.0.11" in nginx
