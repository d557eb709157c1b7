"""Process life: the parts built, started, run and stopped; systemd, metrics, state files."""
