"""Tryggvandring's domain: models, services and blueprints, one module per capability."""
