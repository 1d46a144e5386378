"""XLA's compile cache on disk: configured once, and kept under its size limit."""

import os

from dlviz.core import tfconfig


def test_prune_removes_the_oldest_files_first(tmp_path):
    for i in range(5):
        path = tmp_path / f"entry{i}.pb"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))  # entry0 is the oldest
    assert tfconfig.prune(tmp_path, limit=250) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry3.pb", "entry4.pb"]
    assert tfconfig.prune(tmp_path, limit=250) == 0


def test_configure_points_xla_at_the_cache_and_leaves_a_given_directory_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    monkeypatch.setattr(tfconfig, "_pruner", object())  # no background thread in a test
    tfconfig.configure()
    assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 --tf_xla_persistent_cache_directory={tmp_path}/dlviz/xla"
    assert (tmp_path / "dlviz" / "xla").is_dir()
    tfconfig.configure()  # a second script run adds nothing
    assert os.environ["TF_XLA_FLAGS"].count("persistent_cache_directory") == 1


def test_warm_up_imports_the_pages_libraries_once(monkeypatch):
    import sys

    monkeypatch.setattr(tfconfig, "_warming", None)
    tfconfig.warm_up()
    first = tfconfig._warming
    tfconfig.warm_up()
    assert tfconfig._warming is first  # one thread per process
    first.join(120)
    assert all(name in sys.modules for name in tfconfig.WARM_MODULES)
