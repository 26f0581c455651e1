"""`flask db upgrade` builds the schema from empty, and it matches the models exactly."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from walks.extensions import db


def test_upgrade_from_empty_matches_the_models(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade()
        upgrade()  # an up-to-date database upgrades to itself without error
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "render_as_batch": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_seed_after_upgrade_adds_the_default_categories(tmp_path, monkeypatch):
    app = create_app({"TESTING": True, "SECRET_KEY": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'seeded.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["seed"])
        second = runner.invoke(args=["seed"])
        from walks.models import Category
        count = db.session.query(Category).count()
        db.engine.dispose()
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert count == 15
