"""The local Dagster instance: DAGSTER_HOME in the data folder, history written without fsync waits."""

from __future__ import annotations

import sqlalchemy


def test_importing_the_pipeline_relaxes_sqlite_sync(tmp_path):
    import orchestration  # noqa: F401  (installs the listener on import)

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'history.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 0  # OFF


def test_dagster_home_is_in_the_data_folder(tmp_path, monkeypatch):
    from orchestration.instance import ensure_dagster_home

    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = ensure_dagster_home()
    assert home == (tmp_path / "data" / "dagster_home").resolve()
    assert (home / "dagster.yaml").read_text().startswith("# Dagster instance settings")
