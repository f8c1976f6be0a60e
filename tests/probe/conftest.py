"""Fixtures of the probe tests."""

from __future__ import annotations

import tempfile

import pytest


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temp dir of its own for the probe (it makes its private directory there), to show it
    leaves nothing behind."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    yield d
    assert list(d.iterdir()) == []
