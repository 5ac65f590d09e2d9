"""One module per scenario; each defines ``SCENARIO`` (or a list ``SCENARIOS``) built with
``bench.harness.Scenario``. ``bench/run.py`` finds them all."""
